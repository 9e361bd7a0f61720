-- tasker migration 0013: retention -- where archived finished tasks go.
--
-- tasker::task_store::purge_finished takes finished tasks after an age (tasker::retention_pass):
-- deleted, or with mode archive moved here, rows as they were, in one statement with the
-- delete. Nothing reads these tables but people (SQL) and their own tools: a task archived is
-- gone from the store's queries; its dead-letter entries stay in tasker.dead_letters with
-- their snapshots.
--
-- The tables copy the columns of their source tables, in order (retention inserts `SELECT *`):
-- a migration that adds a column to a source table adds it here too, in the same place.
-- Constraints, foreign keys and the source tables' indexes are not copied: the archive only
-- grows, and is read by task.

CREATE TABLE tasker.archived_tasks (
    LIKE tasker.tasks INCLUDING DEFAULTS,
    archived_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX archived_tasks_archived_at ON tasker.archived_tasks (archived_at);

CREATE TABLE tasker.archived_steps (
    LIKE tasker.steps INCLUDING DEFAULTS,
    PRIMARY KEY (task_id, idx)
);

CREATE TABLE tasker.archived_task_transitions (LIKE tasker.task_transitions INCLUDING DEFAULTS);
CREATE INDEX archived_task_transitions_task ON tasker.archived_task_transitions (task_id, seq);

CREATE TABLE tasker.archived_step_transitions (LIKE tasker.step_transitions INCLUDING DEFAULTS);
CREATE INDEX archived_step_transitions_task ON tasker.archived_step_transitions (task_id, seq);

CREATE TABLE tasker.archived_step_failures (LIKE tasker.step_failures INCLUDING DEFAULTS);
CREATE INDEX archived_step_failures_task ON tasker.archived_step_failures (task_id, idx, at);
