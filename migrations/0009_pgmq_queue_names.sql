-- tasker migration 0009: the bundled pgmq schema validates and lists queue names as the real
-- extension does.
--
-- * Length: pgmq refuses queue names over 47 characters (the identifiers it derives from a
--   name, up to `template_pgmq_q_<name>` for a partitioned queue, must fit PostgreSQL's 63
--   bytes), raising 'queue name is too long, maximum length is 47 characters'. The bundled
--   create allowed 48.
-- * Characters: the refusal of `$`, `;`, `--` and `'` raises pgmq's own message. An empty name,
--   which pgmq would turn into the tables `q_` and `a_`, stays refused.
-- * list_queues() returns pgmq.meta as it stands, and pgmq.meta keeps each name as create was
--   given it (the tables are still case-folded), so both read as they do with the extension.
--   drop_queue removes the meta row of the name it is given.
--
-- Like 0001, this changes only the schema tasker bundled: a database with the pgmq extension,
-- or with a pgmq schema tasker did not install, is left as it is.

DO $pgmq$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pgmq')
       OR coalesce(obj_description(to_regnamespace('pgmq'), 'pg_namespace'), '')
          <> 'pgmq-compatible queues bundled by tasker (migration 0001_pgmq)' THEN
        RAISE NOTICE 'the pgmq schema is not the one tasker bundles: migration 0009 changes nothing';
        RETURN;
    END IF;

    CREATE OR REPLACE FUNCTION pgmq.format_table_name(queue_name text, prefix text) RETURNS text AS $fn$
    BEGIN
        IF queue_name IS NULL OR queue_name = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = 'queue name must not be empty';
        END IF;
        IF queue_name ~ '[$;'']|--' THEN
            RAISE EXCEPTION 'queue name contains invalid characters: $, ;, --, or ''';
        END IF;
        RETURN lower(prefix || '_' || queue_name);
    END
    $fn$ LANGUAGE plpgsql IMMUTABLE;

    CREATE OR REPLACE FUNCTION pgmq.validate_queue_name(queue_name text) RETURNS void AS $fn$
    BEGIN
        PERFORM pgmq.format_table_name(queue_name, 'q');
        IF length(queue_name) > 47 THEN
            RAISE EXCEPTION 'queue name is too long, maximum length is 47 characters';
        END IF;
    END
    $fn$ LANGUAGE plpgsql IMMUTABLE;

    CREATE OR REPLACE FUNCTION pgmq._create_queue(queue_name text, unlogged boolean) RETURNS void AS $fn$
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
            USING queue_name, unlogged;
    END
    $fn$ LANGUAGE plpgsql;

    -- True if the queue existed.
    CREATE OR REPLACE FUNCTION pgmq.drop_queue(queue_name text) RETURNS boolean AS $fn$
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
        EXECUTE 'DELETE FROM pgmq.meta WHERE queue_name = $1' USING queue_name;
        GET DIAGNOSTICS meta_rows = ROW_COUNT;
        RETURN existed OR meta_rows > 0;
    END
    $fn$ LANGUAGE plpgsql;

    CREATE OR REPLACE FUNCTION pgmq.list_queues() RETURNS SETOF pgmq.queue_record AS $fn$
        SELECT m.queue_name, m.is_partitioned, m.is_unlogged, m.created_at FROM pgmq.meta AS m;
    $fn$ LANGUAGE sql;
END
$pgmq$;
