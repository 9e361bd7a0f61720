-- tasker migration 0002: the store's schema (tasker::postgres::store).
--
-- PostgreSQL is the source of truth: templates, tasks, steps, their append-only history and the
-- dead letters. What this schema does NOT hold is decision logic: every state change is decided
-- in C++ by the pure core (`tasker::decide`) under a row lock on the task, and written here by
-- compare-and-set. The one function below, tasker.commit_changes, only applies such a decided
-- change set (and its messages) in one round trip; it decides nothing.
--
-- Locking rule (DESIGN "Per-task serialisation"): every write first locks the rows of the tasks
-- it touches, in id order, with FOR NO KEY UPDATE. A step row is changed only by the holder of
-- its task's lock, so writers never wait for each other in a cycle, and readers (queries) never
-- wait at all (MVCC).

CREATE SCHEMA tasker;
COMMENT ON SCHEMA tasker IS 'tasker''s store: templates, tasks, steps, history, dead letters (migration 0002_tasker)';

-- The names of the C++ enums, in their order (a test checks they match). Enums rather than text:
-- a typo in a state name is an error at the statement, not a silently stuck task.
CREATE TYPE tasker.task_state AS ENUM (
    'pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results',
    'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures', 'complete', 'error',
    'cancelled', 'resolved_manually');
CREATE TYPE tasker.task_event AS ENUM (
    'start', 'ready_steps_found', 'steps_enqueued', 'step_completed', 'step_failed',
    'no_dependencies_ready', 'retry_scheduled', 'retry_ready', 'all_steps_successful',
    'permanent_failure', 'give_up', 'failures_resolved', 'manual_resolution', 'cancel', 'reset');
CREATE TYPE tasker.step_state AS ENUM (
    'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
    'enqueued_as_error_for_orchestration', 'waiting_for_retry', 'error', 'complete', 'cancelled',
    'resolved_manually');
CREATE TYPE tasker.step_event AS ENUM (
    'enqueue', 'claim', 'succeed', 'fail', 'complete', 'wait_for_retry', 'retry', 'give_up', 'cancel',
    'resolve', 'reset');
CREATE TYPE tasker.error_kind AS ENUM ('retryable', 'permanent', 'timeout');

-- Registered templates, immutable per (namespace, name, version): a row is inserted once and
-- never updated, so any process may cache what it read. `version` is the precedence part of the
-- semver (build metadata takes no part in identity, as in the in-memory registry).
-- `definition` is the template in its YAML format, written as JSON (JSON is YAML): any process
-- reads it back with the same loader and validation as a template file. `effective_retry` keeps
-- each step's merged retry policy, which depends on the registering process's defaults.
--
-- Documents written by users (definitions, contexts, results) are `json`, not `jsonb`: json keeps
-- the text as written, jsonb would hand back 1E6 or 2.0 as the integers 1000000 and 2, and a
-- handler reading a double would find an integer. Cast to jsonb to query them.
CREATE TABLE tasker.templates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace_name text NOT NULL,
    name text NOT NULL,
    version text NOT NULL,
    definition json NOT NULL,
    effective_retry json NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (namespace_name, name, version)
);

-- One run of a template. Ids are version-7 uuids made in C++ (time-ordered: listings sort by
-- them, newest first, like the in-memory store).
CREATE TABLE tasker.tasks (
    id uuid PRIMARY KEY,
    template_id bigint NOT NULL REFERENCES tasker.templates (id),
    state tasker.task_state NOT NULL,
    context json NOT NULL,
    identity_key text NOT NULL DEFAULT '',
    correlation_id text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Creation is idempotent by identity key, per template version, across processes: the insert
-- is ON CONFLICT DO NOTHING against this index.
CREATE UNIQUE INDEX tasks_identity ON tasker.tasks (template_id, identity_key) WHERE identity_key <> '';
-- Operators list tasks by state (error, blocked_by_failures, ...), newest first.
CREATE INDEX tasks_state ON tasker.tasks (state, id);

-- The steps of a task, one row per step of its template, by index. `attempts` counts claimed
-- attempts; the claim of attempt n is the compare-and-set (enqueued, n-1) -> (in_progress, n),
-- and that attempt number is the lease's owner token: a heartbeat or a result naming another
-- attempt is refused. `lease_until` is when a silent worker counts as lost.
CREATE TABLE tasker.steps (
    task_id uuid NOT NULL REFERENCES tasker.tasks (id) ON DELETE CASCADE,
    idx integer NOT NULL CHECK (idx >= 0),
    state tasker.step_state NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_until timestamptz,
    result json,
    -- The last failed attempt, kept for retries (kind, requested delay), people and dead letters.
    error_kind tasker.error_kind,
    error_message text,
    error_attempt integer,
    retry_after_us bigint,
    PRIMARY KEY (task_id, idx)
);

-- The append-only history. `seq` comes from one sequence shared by both tables, so a task's
-- task and step transitions interleave in the order they were made (the store numbers them
-- 1, 2, ... per task when it reads them). `most_recent` marks the current row of each task and of
-- each step; the unique partial indexes make two "current" rows impossible, so a writer that
-- skipped the compare-and-set would fail loudly instead of forking the history.
CREATE SEQUENCE tasker.transition_seq AS bigint;

CREATE TABLE tasker.task_transitions (
    seq bigint PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES tasker.tasks (id) ON DELETE CASCADE,
    from_state tasker.task_state NOT NULL,
    to_state tasker.task_state NOT NULL,
    event tasker.task_event NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    most_recent boolean NOT NULL
);
CREATE INDEX task_transitions_task ON tasker.task_transitions (task_id, seq);
CREATE UNIQUE INDEX task_transitions_current ON tasker.task_transitions (task_id) WHERE most_recent;

CREATE TABLE tasker.step_transitions (
    seq bigint PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES tasker.tasks (id) ON DELETE CASCADE,
    idx integer NOT NULL,
    attempt integer NOT NULL, -- the step's attempt count after the transition
    from_state tasker.step_state NOT NULL,
    to_state tasker.step_state NOT NULL,
    event tasker.step_event NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    most_recent boolean NOT NULL
);
CREATE INDEX step_transitions_task ON tasker.step_transitions (task_id, seq);
CREATE UNIQUE INDEX step_transitions_current ON tasker.step_transitions (task_id, idx) WHERE most_recent;

-- Tasks that ended in error, for an operator: which steps failed and why, newest last.
CREATE TABLE tasker.dead_letters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES tasker.tasks (id) ON DELETE CASCADE,
    reason text NOT NULL,
    failed_steps jsonb NOT NULL, -- step names, a JSON array
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_task ON tasker.dead_letters (task_id);

-- Applies one change set that the store decided in C++ while holding the locks of every task
-- it names, and sends its messages: all inside the caller's transaction, in one round trip.
-- `changes` is a JSON object: `now_us`, the time of the change (microseconds since the epoch;
-- missing: now()), and arrays (each may be missing or empty):
--   tasks:       {id, from, to}        every task whose steps or state changed: updated_at moves;
--                                      `from` is the state read (null: not compared)
--   steps:       {task, step, from, from_attempts, to, attempts, lease_us,
--                 set_result, result_text, set_failure, error_kind, error_message, error_attempt,
--                 retry_after_us}      lease_us: lease from now_us; null keeps the lease;
--                                      result_text: the result as JSON text (kept as written)
--   transitions: {ord, task, step, attempt, from, to, event}; `ord` is the order they were made
--                in, step null for a task transition
--   messages:    {ord, queue, body, delay_us}
--   dead_letters:{ord, task, reason, failed_steps}
-- Every task and step change is a compare-and-set on the state (and attempts) the caller read;
-- if one misses, nothing is applied: serialization_failure, which callers treat as transient.
CREATE FUNCTION tasker.commit_changes(changes jsonb) RETURNS void AS $fn$
DECLARE
    -- The time the caller took its locks: one time for every row this change set writes.
    stamp timestamptz := coalesce(timestamptz 'epoch' + (changes ->> 'now_us')::bigint * interval '1 microsecond',
                                  now());
    expected integer;
    changed integer;
BEGIN
    expected := coalesce(jsonb_array_length(changes -> 'steps'), 0);
    IF expected > 0 THEN
        UPDATE tasker.steps AS s
        SET state = u."to",
            attempts = u.attempts,
            lease_until = CASE WHEN u.lease_us IS NULL THEN s.lease_until
                               ELSE stamp + u.lease_us * interval '1 microsecond' END,
            result = CASE WHEN u.set_result THEN u.result_text::json ELSE s.result END,
            error_kind = CASE WHEN u.set_failure THEN u.error_kind ELSE s.error_kind END,
            error_message = CASE WHEN u.set_failure THEN u.error_message ELSE s.error_message END,
            error_attempt = CASE WHEN u.set_failure THEN u.error_attempt ELSE s.error_attempt END,
            retry_after_us = CASE WHEN u.set_failure THEN u.retry_after_us ELSE s.retry_after_us END
        FROM jsonb_to_recordset(changes -> 'steps') AS u(
            task uuid, step integer, "from" tasker.step_state, from_attempts integer, "to" tasker.step_state,
            attempts integer, lease_us bigint, set_result boolean, result_text text, set_failure boolean,
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
        WITH numbered AS (
            SELECT x.*, nextval('tasker.transition_seq') AS seq
            FROM (SELECT * FROM jsonb_to_recordset(changes -> 'transitions')
                      AS r(ord integer, task uuid, step integer, attempt integer, "from" text, "to" text, event text)
                  ORDER BY r.ord) AS x
            ORDER BY x.ord
        ), c AS (
            SELECT n.*, n.ord = max(n.ord) OVER (PARTITION BY n.task, n.step) AS current FROM numbered AS n
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
        -- Messages due now: one send_batch per queue. Delayed ones (retry timers): one send each,
        -- visible at the exact moment (pgmq's integer delays are whole seconds).
        PERFORM pgmq.send_batch(m.queue, array_agg(m.body ORDER BY m.ord))
        FROM jsonb_to_recordset(changes -> 'messages') AS m(ord integer, queue text, body jsonb, delay_us bigint)
        WHERE coalesce(m.delay_us, 0) <= 0
        GROUP BY m.queue;
        PERFORM pgmq.send(m.queue, m.body, clock_timestamp() + m.delay_us * interval '1 microsecond')
        FROM jsonb_to_recordset(changes -> 'messages') AS m(queue text, body jsonb, delay_us bigint)
        WHERE m.delay_us > 0;
        -- Listeners (the PGMQ broker's wait) wake when this transaction commits, with the messages.
        PERFORM pg_notify('tasker_' || q.queue, '')
        FROM (SELECT DISTINCT m.queue FROM jsonb_to_recordset(changes -> 'messages') AS m(queue text)) AS q;
    END IF;
END
$fn$ LANGUAGE plpgsql;
