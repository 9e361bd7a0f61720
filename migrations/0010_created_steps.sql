-- tasker migration 0010: steps that decision and batchable steps create, and batch checkpoints.
--
-- A task of a template with decision or batch steps starts with only some of its template's
-- steps: the others get a row that is not `created` until an outcome creates them, and each
-- batch worker an outcome creates gets a row after the template's steps, naming the template
-- step it runs (`definition`), its name and its cursor (`input`). A batch worker's last
-- checkpoint is kept with its step, for the attempt or worker that resumes it.

ALTER TYPE tasker.step_event ADD VALUE 'create';
ALTER TYPE tasker.step_event ADD VALUE 'refuse';
ALTER TYPE tasker.step_event ADD VALUE 'skip';

ALTER TABLE tasker.steps
    ADD COLUMN created boolean NOT NULL DEFAULT true,
    ADD COLUMN definition integer CHECK (definition >= 0),
    ADD COLUMN name text,
    ADD COLUMN input json,
    ADD COLUMN checkpoint json;
COMMENT ON COLUMN tasker.steps.created IS 'false: a template step no decision or batch outcome created (yet)';
COMMENT ON COLUMN tasker.steps.definition IS 'the template step a batch worker runs (null: the step of its own index)';
COMMENT ON COLUMN tasker.steps.name IS 'a batch worker''s name (null: its template step''s)';
COMMENT ON COLUMN tasker.steps.input IS 'a batch worker''s cursor';
COMMENT ON COLUMN tasker.steps.checkpoint IS 'the last checkpoint a batch worker made durable';

-- As in 0006, with each step's `created`, `definition` and `name`.
DROP FUNCTION tasker.lock_tasks(uuid[]);
CREATE FUNCTION tasker.lock_tasks(ids uuid[])
RETURNS TABLE (task_id uuid, template_id bigint, task_state tasker.task_state, correlation_id text, idx integer,
               state tasker.step_state, attempts integer, lease_until_us bigint, error_kind tasker.error_kind,
               error_message text, error_attempt integer, retry_after_us bigint, now_us bigint, lease_owner uuid,
               created boolean, definition integer, name text) AS $fn$
DECLARE
    locked uuid[];
BEGIN
    locked := ARRAY(SELECT t.id FROM tasker.tasks AS t WHERE t.id = ANY(ids) ORDER BY t.id FOR NO KEY UPDATE);
    RETURN QUERY
        SELECT t.id, t.template_id, t.state, t.correlation_id, s.idx, s.state, s.attempts,
               (extract(epoch FROM s.lease_until) * 1000000)::bigint, s.error_kind, s.error_message,
               s.error_attempt, s.retry_after_us, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
               s.lease_owner, s.created, s.definition, s.name
        FROM tasker.tasks AS t LEFT JOIN tasker.steps AS s ON s.task_id = t.id
        WHERE t.id = ANY(locked)
        ORDER BY t.id, s.idx;
END
$fn$ LANGUAGE plpgsql VOLATILE
    SET enable_seqscan = off
    SET enable_bitmapscan = off
    SET enable_hashjoin = off
    SET enable_mergejoin = off
    SET plan_cache_mode = force_generic_plan;
