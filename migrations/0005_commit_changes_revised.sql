-- tasker migration 0005: commit_changes revised: sends straight into the queue tables, takes the
-- current transitions from its caller, and records who holds a step's lease.
--
-- pgmq.send_batch and pgmq.send build their SQL per call, so PostgreSQL would parse and plan
-- it again in every transaction that moves a task. The queue tables' layout is part of the
-- pgmq API (pgmq.q_<queue>: msg_id identity, read_ct, enqueued_at, vt, message, headers), the
-- same in the real extension and the bundled schema, so one plain insert per queue does what
-- send_batch does, delayed messages included (vt = their due time).
--
-- The history insert does not work out which transition of each task and step is the current
-- one: the caller says so, in each transition's `current`.
--
-- A claim names its owner (a token its worker made), kept next to the lease: a worker that asks
-- again for a claim whose answer it lost (the connection broke as the claim committed) gets
-- it back instead of finding the step busy until the lease runs out. `steps[].owner` is
-- written with every new lease. Everything else is as in 0002, and the plan settings of 0004
-- stay.

ALTER TABLE tasker.steps ADD COLUMN lease_owner uuid;
COMMENT ON COLUMN tasker.steps.lease_owner IS 'the owner token of the claim holding lease_until (null: none given)';

CREATE OR REPLACE FUNCTION tasker.commit_changes_via_pgmq(changes jsonb) RETURNS void
    SET enable_seqscan = off
    SET enable_bitmapscan = off
    SET enable_hashjoin = off
    SET enable_mergejoin = off
AS $fn$
DECLARE
    -- The time the caller took its locks: one time for every row this change set writes.
    stamp timestamptz := coalesce(timestamptz 'epoch' + (changes ->> 'now_us')::bigint * interval '1 microsecond',
                                  now());
    expected integer;
    changed integer;
    q record;
BEGIN
    expected := coalesce(jsonb_array_length(changes -> 'steps'), 0);
    IF expected > 0 THEN
        UPDATE tasker.steps AS s
        SET state = u."to",
            attempts = u.attempts,
            lease_until = CASE WHEN u.lease_us IS NULL THEN s.lease_until
                               ELSE stamp + u.lease_us * interval '1 microsecond' END,
            lease_owner = CASE WHEN u.lease_us IS NULL THEN s.lease_owner ELSE u.owner END,
            result = CASE WHEN u.set_result THEN u.result_text::json ELSE s.result END,
            error_kind = CASE WHEN u.set_failure THEN u.error_kind ELSE s.error_kind END,
            error_message = CASE WHEN u.set_failure THEN u.error_message ELSE s.error_message END,
            error_attempt = CASE WHEN u.set_failure THEN u.error_attempt ELSE s.error_attempt END,
            retry_after_us = CASE WHEN u.set_failure THEN u.retry_after_us ELSE s.retry_after_us END
        FROM jsonb_to_recordset(changes -> 'steps') AS u(
            task uuid, step integer, "from" tasker.step_state, from_attempts integer, "to" tasker.step_state,
            attempts integer, lease_us bigint, owner uuid, set_result boolean, result_text text, set_failure boolean,
            error_kind tasker.error_kind, error_message text, error_attempt integer, retry_after_us bigint)
        WHERE s.task_id = u.task AND s.idx = u.step AND s.state = u."from" AND s.attempts = u.from_attempts;
        GET DIAGNOSTICS changed = ROW_COUNT;
        IF changed <> expected THEN
            RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                MESSAGE = format('tasker.commit_changes: %s of %s steps were not in the state read', expected - changed,
                                 expected);
        END IF;
    END IF;

    expected := coalesce(jsonb_array_length(changes -> 'tasks'), 0);
    IF expected > 0 THEN
        UPDATE tasker.tasks AS t
        SET state = coalesce(u."to", t.state), updated_at = stamp
        FROM jsonb_to_recordset(changes -> 'tasks') AS u(id uuid, "from" tasker.task_state, "to" tasker.task_state)
        WHERE t.id = u.id AND (u."from" IS NULL OR t.state = u."from");
        GET DIAGNOSTICS changed = ROW_COUNT;
        IF changed <> expected THEN
            RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                MESSAGE = format('tasker.commit_changes: %s of %s tasks were not in the state read', expected - changed,
                                 expected);
        END IF;
    END IF;

    IF coalesce(jsonb_array_length(changes -> 'transitions'), 0) > 0 THEN
        -- The rows that stop being current first, so the new current rows pass the unique indexes.
        UPDATE tasker.task_transitions AS h SET most_recent = false
        FROM (SELECT DISTINCT x.task FROM jsonb_to_recordset(changes -> 'transitions') AS x(task uuid, step integer)
              WHERE x.step IS NULL) AS c
        WHERE h.task_id = c.task AND h.most_recent;
        UPDATE tasker.step_transitions AS h SET most_recent = false
        FROM (SELECT DISTINCT x.task, x.step FROM jsonb_to_recordset(changes -> 'transitions') AS x(task uuid, step integer)
              WHERE x.step IS NOT NULL) AS c
        WHERE h.task_id = c.task AND h.idx = c.step AND h.most_recent;

        -- Sequence numbers in the order the changes were made (taken after the sort), across both
        -- tables; the last change of each task and of each step becomes its current row.
        WITH c AS (
            SELECT x.*, nextval('tasker.transition_seq') AS seq
            FROM (SELECT * FROM jsonb_to_recordset(changes -> 'transitions')
                      AS r(ord integer, task uuid, step integer, attempt integer, "from" text, "to" text, event text,
                           current boolean)
                  ORDER BY r.ord) AS x
            ORDER BY x.ord
        ), task_rows AS (
            INSERT INTO tasker.task_transitions (seq, task_id, from_state, to_state, event, at, most_recent)
            SELECT c.seq, c.task, c."from"::tasker.task_state, c."to"::tasker.task_state, c.event::tasker.task_event,
                   stamp, c.current
            FROM c WHERE c.step IS NULL
        )
        INSERT INTO tasker.step_transitions (seq, task_id, idx, attempt, from_state, to_state, event, at, most_recent)
        SELECT c.seq, c.task, c.step, c.attempt, c."from"::tasker.step_state, c."to"::tasker.step_state,
               c.event::tasker.step_event, stamp, c.current
        FROM c WHERE c.step IS NOT NULL;
    END IF;

    IF coalesce(jsonb_array_length(changes -> 'dead_letters'), 0) > 0 THEN
        INSERT INTO tasker.dead_letters (task_id, reason, failed_steps, at)
        SELECT d.task, d.reason, d.failed_steps, stamp
        FROM jsonb_to_recordset(changes -> 'dead_letters') AS d(ord integer, task uuid, reason text, failed_steps jsonb)
        ORDER BY d.ord;
    END IF;

    IF coalesce(jsonb_array_length(changes -> 'messages'), 0) > 0 THEN
        -- One insert per queue into its pgmq table, visible at once or, for retry timers, at the
        -- exact due time; then the queue's NOTIFY, delivered when this transaction commits.
        FOR q IN
            SELECT m.queue,
                   array_agg(m.body ORDER BY m.ord) AS bodies,
                   array_agg(clock_timestamp() + greatest(coalesce(m.delay_us, 0), 0) * interval '1 microsecond'
                             ORDER BY m.ord) AS due
            FROM jsonb_to_recordset(changes -> 'messages') AS m(ord integer, queue text, body jsonb, delay_us bigint)
            GROUP BY m.queue
        LOOP
            EXECUTE format('INSERT INTO pgmq.%I (vt, message) '
                           'SELECT u.due, u.body FROM unnest($1, $2) WITH ORDINALITY AS u(body, due, n) ORDER BY u.n',
                           'q_' || q.queue)
                USING q.bodies, q.due;
            PERFORM pg_notify('tasker_' || q.queue, '');
        END LOOP;
    END IF;
END
$fn$ LANGUAGE plpgsql;
