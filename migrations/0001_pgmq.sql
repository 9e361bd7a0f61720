-- tasker migration 0001: a bundled, pgmq-compatible queue schema.
--
-- Debian ships no pgmq extension, so tasker brings the part of pgmq's SQL API (1.5 series) that
-- its PGMQ backend may call, written from the API's description: same schema, object names,
-- signatures, return types and semantics, so the backend behaves alike on the real extension.
--
-- The guard lives here, in the SQL, not in the runner: the whole file is one DO block that does
-- nothing when a `pgmq` extension or a `pgmq` schema already exists (a database with the real
-- extension is used as it is). Any tool may therefore apply this file safely, and the runner
-- records it as applied either way.
--
-- Differences from upstream that callers cannot observe through the API: pgmq.meta stores queue
-- names case-folded (tables are case-folded too, so 'Jobs' and 'jobs' are one queue), names over
-- 48 characters are rejected at create (upstream: 48 and more), and send_batch rejects a headers
-- array whose length differs from the messages'. Partitioned queues are not provided.

DO $pgmq$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pgmq')
       OR EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'pgmq') THEN
        RAISE NOTICE 'pgmq is already present in this database: the bundled pgmq schema is not installed';
        RETURN;
    END IF;

    CREATE SCHEMA pgmq;
    COMMENT ON SCHEMA pgmq IS 'pgmq-compatible queues bundled by tasker (migration 0001_pgmq)';

    -- One row per queue.
    CREATE TABLE pgmq.meta (
        queue_name varchar UNIQUE NOT NULL,
        is_partitioned boolean NOT NULL,
        is_unlogged boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TYPE pgmq.message_record AS (
        msg_id bigint,
        read_ct integer,
        enqueued_at timestamptz,
        vt timestamptz,
        message jsonb,
        headers jsonb
    );

    CREATE TYPE pgmq.queue_record AS (
        queue_name varchar,
        is_partitioned boolean,
        is_unlogged boolean,
        created_at timestamptz
    );

    CREATE TYPE pgmq.metrics_result AS (
        queue_name text,
        queue_length bigint,
        newest_msg_age_sec integer,
        oldest_msg_age_sec integer,
        total_messages bigint,
        scrape_time timestamptz,
        queue_visible_length bigint
    );

    -- ------------------------------------------------------------------------------------------
    -- Names. Every function derives its table names here, so a hostile name is refused before
    -- any SQL is built; the names are then quoted with format('%I') everywhere.

    CREATE FUNCTION pgmq.format_table_name(queue_name text, prefix text) RETURNS text AS $fn$
    BEGIN
        IF queue_name IS NULL OR queue_name = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = 'queue name must not be empty';
        END IF;
        IF queue_name ~ '[$;'']|--' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('queue name "%s" contains invalid characters: $, ;, -- and '' are not allowed',
                                 queue_name);
        END IF;
        RETURN lower(prefix || '_' || queue_name);
    END
    $fn$ LANGUAGE plpgsql IMMUTABLE;

    -- 48 keeps every derived identifier (q_<name>_msg_id_seq, a_<name>_archived_idx) within
    -- PostgreSQL's 63 bytes, so none is silently truncated.
    CREATE FUNCTION pgmq.validate_queue_name(queue_name text) RETURNS void AS $fn$
    BEGIN
        PERFORM pgmq.format_table_name(queue_name, 'q');
        IF length(queue_name) > 48 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('queue name is too long: %s characters, at most 48 are allowed',
                                 length(queue_name));
        END IF;
    END
    $fn$ LANGUAGE plpgsql IMMUTABLE;

    -- Serialises create and drop of one queue: concurrent CREATE TABLE IF NOT EXISTS of the same
    -- table can fail on the catalog's unique index instead of waiting.
    CREATE FUNCTION pgmq._lock_queue(queue_name text) RETURNS void AS $fn$
        SELECT pg_advisory_xact_lock(hashtext('pgmq.queue.' || lower(queue_name)));
    $fn$ LANGUAGE sql;

    -- ------------------------------------------------------------------------------------------
    -- Queues

    CREATE FUNCTION pgmq._create_queue(queue_name text, unlogged boolean) RETURNS void AS $fn$
    DECLARE
        qtable text;
        atable text;
    BEGIN
        PERFORM pgmq.validate_queue_name(queue_name);
        qtable := pgmq.format_table_name(queue_name, 'q');
        atable := pgmq.format_table_name(queue_name, 'a');
        PERFORM pgmq._lock_queue(queue_name);

        -- Checked first (under the lock) so that ensuring an existing queue, which every worker
        -- does at start, stays silent instead of raising "already exists, skipping" notices.
        IF to_regclass(format('pgmq.%I', qtable)) IS NULL THEN
            EXECUTE format($sql$
                CREATE %s TABLE pgmq.%I (
                    msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
                    read_ct integer NOT NULL DEFAULT 0,
                    enqueued_at timestamptz NOT NULL DEFAULT now(),
                    vt timestamptz NOT NULL,
                    message jsonb,
                    headers jsonb
                )$sql$, CASE WHEN unlogged THEN 'UNLOGGED' ELSE '' END, qtable);
            EXECUTE format('CREATE INDEX %I ON pgmq.%I (vt ASC)', qtable || '_vt_idx', qtable);
        END IF;

        IF to_regclass(format('pgmq.%I', atable)) IS NULL THEN
            EXECUTE format($sql$
                CREATE TABLE pgmq.%I (
                    msg_id bigint PRIMARY KEY,
                    read_ct integer NOT NULL DEFAULT 0,
                    enqueued_at timestamptz NOT NULL DEFAULT now(),
                    archived_at timestamptz NOT NULL DEFAULT now(),
                    vt timestamptz NOT NULL,
                    message jsonb,
                    headers jsonb
                )$sql$, atable);
            EXECUTE format('CREATE INDEX %I ON pgmq.%I (archived_at)', atable || '_archived_idx', atable);
        END IF;

        EXECUTE 'INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged) VALUES ($1, false, $2)
                 ON CONFLICT (queue_name) DO NOTHING'
            USING lower(queue_name), unlogged;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE FUNCTION pgmq.create_non_partitioned(queue_name text) RETURNS void AS $fn$
        SELECT pgmq._create_queue(queue_name, false);
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.create(queue_name text) RETURNS void AS $fn$
        SELECT pgmq._create_queue(queue_name, false);
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.create_unlogged(queue_name text) RETURNS void AS $fn$
        SELECT pgmq._create_queue(queue_name, true);
    $fn$ LANGUAGE sql;

    -- True if the queue existed.
    CREATE FUNCTION pgmq.drop_queue(queue_name text) RETURNS boolean AS $fn$
    DECLARE
        qtable text := pgmq.format_table_name(queue_name, 'q');
        atable text := pgmq.format_table_name(queue_name, 'a');
        existed boolean;
        meta_rows bigint;
    BEGIN
        PERFORM pgmq._lock_queue(queue_name);
        existed := to_regclass(format('pgmq.%I', qtable)) IS NOT NULL;
        IF existed THEN
            EXECUTE format('DROP TABLE pgmq.%I', qtable);
        END IF;
        IF to_regclass(format('pgmq.%I', atable)) IS NOT NULL THEN
            EXECUTE format('DROP TABLE pgmq.%I', atable);
        END IF;
        EXECUTE 'DELETE FROM pgmq.meta WHERE queue_name = $1' USING lower(queue_name);
        GET DIAGNOSTICS meta_rows = ROW_COUNT;
        RETURN existed OR meta_rows > 0;
    END
    $fn$ LANGUAGE plpgsql;

    -- Deletes every message (not the archive); returns how many.
    CREATE FUNCTION pgmq.purge_queue(queue_name text) RETURNS bigint AS $fn$
    DECLARE
        deleted bigint;
    BEGIN
        EXECUTE format('DELETE FROM pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
        GET DIAGNOSTICS deleted = ROW_COUNT;
        RETURN deleted;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE FUNCTION pgmq.list_queues() RETURNS SETOF pgmq.queue_record AS $fn$
        SELECT m.queue_name, m.is_partitioned, m.is_unlogged, m.created_at FROM pgmq.meta AS m ORDER BY m.queue_name;
    $fn$ LANGUAGE sql;

    -- ------------------------------------------------------------------------------------------
    -- Sending. One implementation per kind (single, batch); the other overloads forward to it.
    -- `delay` as integer is seconds from now; as timestamptz the moment the message turns visible.

    CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
    RETURNS SETOF bigint AS $fn$
    BEGIN
        RETURN QUERY EXECUTE format(
            'INSERT INTO pgmq.%I (vt, message, headers) VALUES ($1, $2, $3) RETURNING msg_id',
            pgmq.format_table_name(queue_name, 'q'))
            USING coalesce(delay, clock_timestamp()), msg, headers;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE FUNCTION pgmq.send(queue_name text, msg jsonb) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send(queue_name, msg, NULL::jsonb, clock_timestamp());
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send(queue_name, msg, NULL::jsonb, clock_timestamp() + make_interval(secs => delay));
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, delay timestamptz) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send(queue_name, msg, NULL::jsonb, delay);
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp());
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send(queue_name, msg, headers, clock_timestamp() + make_interval(secs => delay));
    $fn$ LANGUAGE sql;

    -- One id per message, in the order of `msgs`: rows are inserted in array order, so their
    -- identity values ascend in that order.
    CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
    RETURNS SETOF bigint AS $fn$
    BEGIN
        IF headers IS NOT NULL AND cardinality(headers) <> cardinality(msgs) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('send_batch: %s messages but %s headers', cardinality(msgs), cardinality(headers));
        END IF;
        RETURN QUERY EXECUTE format($sql$
            WITH sent AS (
                INSERT INTO pgmq.%I (vt, message, headers)
                SELECT $1, m.message, $3[m.n]
                FROM unnest($2) WITH ORDINALITY AS m (message, n)
                ORDER BY m.n
                RETURNING msg_id
            )
            SELECT msg_id FROM sent ORDER BY msg_id$sql$, pgmq.format_table_name(queue_name, 'q'))
            USING coalesce(delay, clock_timestamp()), msgs, headers;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[]) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL::jsonb[], clock_timestamp());
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL::jsonb[],
                                      clock_timestamp() + make_interval(secs => delay));
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send_batch(queue_name, msgs, NULL::jsonb[], delay);
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[]) RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp());
    $fn$ LANGUAGE sql;

    CREATE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer)
    RETURNS SETOF bigint AS $fn$
        SELECT * FROM pgmq.send_batch(queue_name, msgs, headers, clock_timestamp() + make_interval(secs => delay));
    $fn$ LANGUAGE sql;

    -- ------------------------------------------------------------------------------------------
    -- Receiving. A read locks the rows it takes with SKIP LOCKED, so concurrent readers split the
    -- visible messages between them and never wait for each other; a row another reader has just
    -- committed is re-checked against `vt` under its lock, so it is not delivered twice.

    CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
    RETURNS SETOF pgmq.message_record AS $fn$
    DECLARE
        qtable text := pgmq.format_table_name(queue_name, 'q');
    BEGIN
        RETURN QUERY EXECUTE format($sql$
            WITH picked AS (
                SELECT msg_id
                FROM pgmq.%I
                WHERE vt <= clock_timestamp() AND ($3 = '{}'::jsonb OR message @> $3)
                ORDER BY msg_id
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            ), taken AS (
                UPDATE pgmq.%I AS q
                SET vt = clock_timestamp() + make_interval(secs => $2), read_ct = q.read_ct + 1
                FROM picked
                WHERE q.msg_id = picked.msg_id
                RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers
            )
            SELECT * FROM taken ORDER BY msg_id$sql$, qtable, qtable)
            USING qty, vt, coalesce(conditional, '{}'::jsonb);
    END
    $fn$ LANGUAGE plpgsql;

    -- Reads at once, then every poll_interval_ms until a message comes or max_poll_seconds pass.
    -- Each poll is a new statement, so in READ COMMITTED it sees messages committed meanwhile.
    CREATE FUNCTION pgmq.read_with_poll(queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5,
                                        poll_interval_ms integer DEFAULT 100, conditional jsonb DEFAULT '{}')
    RETURNS SETOF pgmq.message_record AS $fn$
    DECLARE
        stop_at timestamptz := clock_timestamp() + make_interval(secs => max_poll_seconds);
    BEGIN
        LOOP
            RETURN QUERY SELECT * FROM pgmq.read(read_with_poll.queue_name, read_with_poll.vt, read_with_poll.qty,
                                                 read_with_poll.conditional);
            IF FOUND OR clock_timestamp() >= stop_at THEN
                RETURN;
            END IF;
            PERFORM pg_sleep(greatest(0, least(poll_interval_ms / 1000.0,
                                               extract(epoch FROM stop_at - clock_timestamp()))));
        END LOOP;
    END
    $fn$ LANGUAGE plpgsql;

    -- Reads and deletes the oldest visible message.
    CREATE FUNCTION pgmq.pop(queue_name text) RETURNS SETOF pgmq.message_record AS $fn$
    DECLARE
        qtable text := pgmq.format_table_name(queue_name, 'q');
    BEGIN
        RETURN QUERY EXECUTE format($sql$
            WITH picked AS (
                SELECT msg_id FROM pgmq.%I
                WHERE vt <= clock_timestamp()
                ORDER BY msg_id
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            DELETE FROM pgmq.%I AS q USING picked
            WHERE q.msg_id = picked.msg_id
            RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers$sql$, qtable, qtable);
    END
    $fn$ LANGUAGE plpgsql;

    -- The message turns visible `vt` seconds from now (0: at once); no row if it is gone.
    CREATE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer) RETURNS SETOF pgmq.message_record AS $fn$
    BEGIN
        RETURN QUERY EXECUTE format($sql$
            UPDATE pgmq.%I
            SET vt = clock_timestamp() + make_interval(secs => $2)
            WHERE msg_id = $1
            RETURNING msg_id, read_ct, enqueued_at, vt, message, headers$sql$, pgmq.format_table_name(queue_name, 'q'))
            USING msg_id, vt;
    END
    $fn$ LANGUAGE plpgsql;

    -- ------------------------------------------------------------------------------------------
    -- Settling

    CREATE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint AS $fn$
    BEGIN
        RETURN QUERY EXECUTE format($sql$
            WITH deleted AS (DELETE FROM pgmq.%I WHERE msg_id = ANY($1) RETURNING msg_id)
            SELECT msg_id FROM deleted ORDER BY msg_id$sql$, pgmq.format_table_name(queue_name, 'q'))
            USING msg_ids;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE FUNCTION pgmq.delete(queue_name text, msg_id bigint) RETURNS boolean AS $fn$
        SELECT count(*) > 0 FROM pgmq.delete(queue_name, ARRAY[msg_id]);
    $fn$ LANGUAGE sql;

    -- Moves messages to the archive table, keeping their columns; returns the ids moved.
    CREATE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint AS $fn$
    BEGIN
        RETURN QUERY EXECUTE format($sql$
            WITH taken AS (
                DELETE FROM pgmq.%I WHERE msg_id = ANY($1)
                RETURNING msg_id, read_ct, enqueued_at, vt, message, headers
            ), archived AS (
                INSERT INTO pgmq.%I (msg_id, read_ct, enqueued_at, vt, message, headers)
                SELECT msg_id, read_ct, enqueued_at, vt, message, headers FROM taken
                RETURNING msg_id
            )
            SELECT msg_id FROM archived ORDER BY msg_id$sql$,
            pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
            USING msg_ids;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE FUNCTION pgmq.archive(queue_name text, msg_id bigint) RETURNS boolean AS $fn$
        SELECT count(*) > 0 FROM pgmq.archive(queue_name, ARRAY[msg_id]);
    $fn$ LANGUAGE sql;

    -- ------------------------------------------------------------------------------------------
    -- Metrics. Ages and visibility are measured against one clock reading, the scrape time;
    -- total_messages is the identity sequence's position: every message ever sent.

    CREATE FUNCTION pgmq.metrics(queue_name text) RETURNS pgmq.metrics_result AS $fn$
    DECLARE
        qtable text := pgmq.format_table_name(queue_name, 'q');
        sequence_name text;
        scraped_at timestamptz := clock_timestamp();
        result_row pgmq.metrics_result;
    BEGIN
        IF to_regclass(format('pgmq.%I', qtable)) IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_table',
                MESSAGE = format('queue "%s" does not exist', queue_name);
        END IF;
        sequence_name := pg_get_serial_sequence(format('pgmq.%I', qtable), 'msg_id');
        EXECUTE format($sql$
            SELECT $1::text,
                   count(*),
                   extract(epoch FROM $2 - max(q.enqueued_at))::integer,
                   extract(epoch FROM $2 - min(q.enqueued_at))::integer,
                   (SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END FROM %s AS s),
                   $2,
                   count(*) FILTER (WHERE q.vt <= $2)
            FROM pgmq.%I AS q$sql$, sequence_name, qtable)
            INTO result_row
            USING queue_name, scraped_at;
        RETURN result_row;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE FUNCTION pgmq.metrics_all() RETURNS SETOF pgmq.metrics_result AS $fn$
    DECLARE
        queue record;
    BEGIN
        FOR queue IN SELECT m.queue_name FROM pgmq.meta AS m ORDER BY m.queue_name LOOP
            RETURN NEXT pgmq.metrics(queue.queue_name);
        END LOOP;
    END
    $fn$ LANGUAGE plpgsql;
END
$pgmq$;
