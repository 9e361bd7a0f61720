-- tasker migration 0007: less work per state change in the history tables.
--
-- Every transition is one insert into a history table and one update of the row it supersedes
-- (most_recent = false). In a 40 000-step burst these writes were 35% of the server's time,
-- and three things made them dearer than they need to be:
--
-- * Two indexes saying the same thing. The primary key on seq (unique by construction, never
--   looked up alone) and (task_id, seq), the index every reader uses. The update of the
--   superseded row cannot be HOT (most_recent is in the predicate of the current-row index),
--   so each write put an entry into both. The primary key is now (task_id, seq), and the
--   other index goes.
-- * A foreign key checked per row: each history row looked its task up again (FOR KEY SHARE)
--   through a trigger queued per row, about 1 s of the burst's 10 s. Only commit_changes writes
--   history, for tasks its caller holds locked (FOR NO KEY UPDATE, which a DELETE waits
--   for), so the task is there by construction. What the key also did, removing a deleted
--   task's history, is now a statement trigger on tasks: nothing to pay on insert.
-- * Full pages. Steps and tasks change in place several times each (enqueue, claim, result),
--   an outbox row once (its relay's claim), and rows written by a batch fill their pages: the
--   first update of each moved to another page and added an index entry. Room left on each page keeps updates on it (HOT: no index
--   entry, the old version pruned in place). Only pages written from now on get the room.

ALTER TABLE tasker.task_transitions DROP CONSTRAINT task_transitions_pkey;
ALTER TABLE tasker.task_transitions ADD PRIMARY KEY (task_id, seq);
DROP INDEX tasker.task_transitions_task;
ALTER TABLE tasker.task_transitions DROP CONSTRAINT task_transitions_task_id_fkey;

ALTER TABLE tasker.step_transitions DROP CONSTRAINT step_transitions_pkey;
ALTER TABLE tasker.step_transitions ADD PRIMARY KEY (task_id, seq);
DROP INDEX tasker.step_transitions_task;
ALTER TABLE tasker.step_transitions DROP CONSTRAINT step_transitions_task_id_fkey;

-- A deleted task's history goes with it, as it did with ON DELETE CASCADE.
CREATE FUNCTION tasker.delete_history_of_deleted_tasks() RETURNS trigger AS $fn$
BEGIN
    DELETE FROM tasker.task_transitions AS h USING deleted AS d WHERE h.task_id = d.id;
    DELETE FROM tasker.step_transitions AS h USING deleted AS d WHERE h.task_id = d.id;
    RETURN NULL;
END
$fn$ LANGUAGE plpgsql;

CREATE TRIGGER tasks_delete_history AFTER DELETE ON tasker.tasks
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION tasker.delete_history_of_deleted_tasks();

ALTER TABLE tasker.steps SET (fillfactor = 70);
ALTER TABLE tasker.tasks SET (fillfactor = 80);
ALTER TABLE tasker.outbox SET (fillfactor = 70);
