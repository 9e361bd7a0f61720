-- tasker migration 0006: the task locks and the read under them, in one call.
--
-- Every write of the store starts by locking the rows of the tasks it touches, in id order, and
-- then reads their steps in a second statement, whose snapshot sees every change committed
-- before the locks were granted (a join under FOR UPDATE re-reads only the locked rows). Two
-- statements were two round trips, on the path of every hop of every task. A VOLATILE function
-- takes a new snapshot for each statement inside it, so the same two statements run here, in
-- one round trip.

-- The tasks of `ids` that exist, locked (FOR NO KEY UPDATE, in id order), with every step: one
-- row per step, ordered by task and step (a task without step rows comes once, idx null).
-- `now_us` is the server's clock once the locks are held: the time of the caller's changes.
CREATE FUNCTION tasker.lock_tasks(ids uuid[])
RETURNS TABLE (task_id uuid, template_id bigint, task_state tasker.task_state, correlation_id text, idx integer,
               state tasker.step_state, attempts integer, lease_until_us bigint, error_kind tasker.error_kind,
               error_message text, error_attempt integer, retry_after_us bigint, now_us bigint, lease_owner uuid) AS $fn$
DECLARE
    locked uuid[];
BEGIN
    locked := ARRAY(SELECT t.id FROM tasker.tasks AS t WHERE t.id = ANY(ids) ORDER BY t.id FOR NO KEY UPDATE);
    RETURN QUERY
        SELECT t.id, t.template_id, t.state, t.correlation_id, s.idx, s.state, s.attempts,
               (extract(epoch FROM s.lease_until) * 1000000)::bigint, s.error_kind, s.error_message,
               s.error_attempt, s.retry_after_us, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
               s.lease_owner
        FROM tasker.tasks AS t LEFT JOIN tasker.steps AS s ON s.task_id = t.id
        WHERE t.id = ANY(locked)
        ORDER BY t.id, s.idx;
END
$fn$ LANGUAGE plpgsql VOLATILE
    -- Key lookups at every size (see 0004): a plan made while the tables were young would
    -- otherwise scan them whole for as long as the session lives.
    SET enable_seqscan = off
    SET enable_bitmapscan = off
    SET enable_hashjoin = off
    SET enable_mergejoin = off;
