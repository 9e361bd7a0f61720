-- tasker migration 0012: operating workflows -- staleness, the dead-letter queue as an
-- investigation tracker, and who did what.
--
-- * `expire` (task and step event): a task past a lifecycle limit ends in error, its unfinished
--   steps with it; `complete_manually` (step event): an operator completes a step with a result.
-- * Every transition row records its origin: the actor (`worker:<owner>`, `orchestrator:<name>`,
--   `operator:<name>`, `client`), and for manual actions and staleness a reason and metadata.
--   A change set has one origin (`changes.actor`, `.reason`, `.metadata`); a step transition
--   may name its own actor (a worker's, in a batch of several workers' claims or results).
-- * tasker.step_failures keeps every failed attempt's error (tasker.steps keeps the latest):
--   with the claim and result transitions, each attempt's worker, start, end and error.
-- * tasker.dead_letters becomes the investigation tracker: why (cause), the task as it was
--   (snapshot, with its context), priority, status, notes, who resolved it and when. Entries no
--   longer go with their task: retention removes finished tasks, the entries stay.
-- commit_changes_via_pgmq is as in 0005 with the origin columns, the failures, and the new
-- dead-letter columns; closing entries is the `closed_dead_letters` array.

ALTER TYPE tasker.task_event ADD VALUE 'expire';
ALTER TYPE tasker.step_event ADD VALUE 'expire';
ALTER TYPE tasker.step_event ADD VALUE 'complete_manually';

ALTER TABLE tasker.task_transitions ADD COLUMN actor text, ADD COLUMN reason text, ADD COLUMN metadata jsonb;
ALTER TABLE tasker.step_transitions ADD COLUMN actor text, ADD COLUMN reason text, ADD COLUMN metadata jsonb;

CREATE TABLE tasker.step_failures (
    task_id uuid NOT NULL,
    idx integer NOT NULL,
    attempt integer NOT NULL,
    kind tasker.error_kind NOT NULL,
    message text NOT NULL,
    retry_after_us bigint,
    at timestamptz NOT NULL
);
CREATE INDEX step_failures_task ON tasker.step_failures (task_id, idx, at);

-- A deleted task's failures go with its history (see 0007).
CREATE OR REPLACE FUNCTION tasker.delete_history_of_deleted_tasks() RETURNS trigger AS $fn$
BEGIN
    DELETE FROM tasker.task_transitions AS h USING deleted AS d WHERE h.task_id = d.id;
    DELETE FROM tasker.step_transitions AS h USING deleted AS d WHERE h.task_id = d.id;
    DELETE FROM tasker.step_failures AS h USING deleted AS d WHERE h.task_id = d.id;
    RETURN NULL;
END
$fn$ LANGUAGE plpgsql;

CREATE TYPE tasker.dead_letter_cause AS ENUM ('retries_exhausted', 'permanent_failure', 'staleness');
CREATE TYPE tasker.dead_letter_status AS ENUM (
    'pending', 'investigating', 'manually_resolved', 'permanently_failed', 'cancelled');

ALTER TABLE tasker.dead_letters DROP CONSTRAINT dead_letters_task_id_fkey;
ALTER TABLE tasker.dead_letters
    ADD COLUMN cause tasker.dead_letter_cause NOT NULL DEFAULT 'retries_exhausted',
    ADD COLUMN snapshot json,
    ADD COLUMN priority integer NOT NULL DEFAULT 0,
    ADD COLUMN status tasker.dead_letter_status NOT NULL DEFAULT 'pending',
    ADD COLUMN notes jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN resolved_by text,
    ADD COLUMN resolved_at timestamptz,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN template_id bigint REFERENCES tasker.templates (id);
-- The entry names its template itself: it outlives its task.
UPDATE tasker.dead_letters AS d SET template_id = t.template_id FROM tasker.tasks AS t WHERE t.id = d.task_id;
COMMENT ON COLUMN tasker.dead_letters.snapshot IS 'the task and its steps when the entry was made (see dead_letter_snapshot)';
COMMENT ON COLUMN tasker.dead_letters.notes IS 'investigators'' notes: [{at_us, author, text}]';
-- The investigation queue: open entries, higher priority first, then oldest.
CREATE INDEX dead_letters_open ON tasker.dead_letters (priority DESC, id) WHERE status IN ('pending', 'investigating');
CREATE INDEX dead_letters_status ON tasker.dead_letters (status, id);

CREATE OR REPLACE FUNCTION tasker.commit_changes_via_pgmq(changes jsonb) RETURNS void
    SET enable_seqscan = off
    SET enable_bitmapscan = off
    SET enable_hashjoin = off
    SET enable_mergejoin = off
    SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    -- The time the caller took its locks: one time for every row this change set writes.
    stamp timestamptz := coalesce(timestamptz 'epoch' + (changes ->> 'now_us')::bigint * interval '1 microsecond',
                                  now());
    expected integer;
    changed integer;
    q record;
    -- Who made this change and why: one origin for every transition row it writes.
    origin_actor text := changes ->> 'actor';
    origin_reason text := changes ->> 'reason';
    origin_metadata jsonb := changes -> 'metadata';
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

        -- Every failure is kept, not only the step's latest (`failures`: some step has one).
        IF (changes ->> 'failures')::boolean THEN
            INSERT INTO tasker.step_failures (task_id, idx, attempt, kind, message, retry_after_us, at)
            SELECT u.task, u.step, u.error_attempt, u.error_kind, u.error_message, u.retry_after_us, stamp
            FROM jsonb_to_recordset(changes -> 'steps') AS u(task uuid, step integer, set_failure boolean,
                                                             error_kind tasker.error_kind, error_message text,
                                                             error_attempt integer, retry_after_us bigint)
            WHERE u.set_failure AND u.error_kind IS NOT NULL;
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
                           current boolean, actor text)
                  ORDER BY r.ord) AS x
            ORDER BY x.ord
        ), task_rows AS (
            INSERT INTO tasker.task_transitions (seq, task_id, from_state, to_state, event, at, most_recent, actor,
                                                 reason, metadata)
            SELECT c.seq, c.task, c."from"::tasker.task_state, c."to"::tasker.task_state, c.event::tasker.task_event,
                   stamp, c.current, origin_actor, origin_reason, origin_metadata
            FROM c WHERE c.step IS NULL
        )
        INSERT INTO tasker.step_transitions (seq, task_id, idx, attempt, from_state, to_state, event, at, most_recent,
                                             actor, reason, metadata)
        SELECT c.seq, c.task, c.step, c.attempt, c."from"::tasker.step_state, c."to"::tasker.step_state,
               c.event::tasker.step_event, stamp, c.current, coalesce(c.actor, origin_actor), origin_reason,
               origin_metadata
        FROM c WHERE c.step IS NOT NULL;
    END IF;

    -- Investigations this change ends (a task reopened or resolved), before new entries.
    IF coalesce(jsonb_array_length(changes -> 'closed_dead_letters'), 0) > 0 THEN
        UPDATE tasker.dead_letters AS e
        SET status = c.status, resolved_by = c.actor, resolved_at = stamp, updated_at = stamp
        FROM jsonb_to_recordset(changes -> 'closed_dead_letters') AS c(task uuid, status tasker.dead_letter_status,
                                                                      actor text)
        WHERE e.id = (SELECT max(l.id) FROM tasker.dead_letters AS l WHERE l.task_id = c.task)
          AND e.status IN ('pending', 'investigating');
    END IF;

    -- New entries, each with the task's context and correlation id added to its snapshot, and its
    -- priority (0011).
    IF coalesce(jsonb_array_length(changes -> 'dead_letters'), 0) > 0 THEN
        INSERT INTO tasker.dead_letters (task_id, reason, failed_steps, at, cause, snapshot, updated_at, template_id,
                                         priority)
        SELECT d.task, d.reason, d.failed_steps, stamp, d.cause,
               (d.snapshot || jsonb_build_object('context', t.context::jsonb, 'correlation_id', t.correlation_id))::json,
               stamp, t.template_id, t.priority
        FROM jsonb_to_recordset(changes -> 'dead_letters')
                 AS d(ord integer, task uuid, reason text, failed_steps jsonb, cause tasker.dead_letter_cause,
                      snapshot jsonb)
        JOIN tasker.tasks AS t ON t.id = d.task
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
