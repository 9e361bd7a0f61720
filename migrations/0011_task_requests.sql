-- tasker migration 0011: what a submitter says about a task request, and listing tasks by it.
--
-- A task keeps the request's fields beside its context (tasker::new_task): who asked, from
-- which system, why, its tags, its priority and the correlation id of the work that caused it.
-- They are written once, when the task is created, and never change. The store checks them
-- before it inserts anything (tasker::check_request_fields); the CHECK below only guards the
-- range of priority against other writers.
--
-- Listings (tasker::task_filter) page through tasks newest first by id, keyset-wise (`id <` the
-- last id of the page before). Each filter has an index that hands its rows over in id order,
-- so a page reads about as many rows as it shows however large the table is: (state, id)
-- from 0002, and the ones below. Those on fields most tasks leave empty are partial: a task
-- without them costs its insert nothing.

ALTER TABLE tasker.tasks
    ADD COLUMN parent_correlation_id text NOT NULL DEFAULT '',
    ADD COLUMN initiator text NOT NULL DEFAULT '',
    ADD COLUMN source_system text NOT NULL DEFAULT '',
    ADD COLUMN reason text NOT NULL DEFAULT '',
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN priority integer NOT NULL DEFAULT 0;
-- NOT VALID: rows from before this migration all hold the default, so there is nothing to scan.
ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_priority_range CHECK (priority BETWEEN -100 AND 100) NOT VALID;
COMMENT ON COLUMN tasker.tasks.parent_correlation_id IS 'the correlation id of the work that caused the task ('''': none)';
COMMENT ON COLUMN tasker.tasks.initiator IS 'who asked for the task: a user, a service account ('''': not given)';
COMMENT ON COLUMN tasker.tasks.source_system IS 'the system the request came from ('''': not given)';
COMMENT ON COLUMN tasker.tasks.reason IS 'why the task was requested ('''': not given)';
COMMENT ON COLUMN tasker.tasks.tags IS 'labels to find the task by, distinct, in the order given (also in tasker.task_tags)';
COMMENT ON COLUMN tasker.tasks.priority IS 'the request''s priority, -100 to 100; recorded, it does not order execution';

-- One row per tag of a task, for listings by tag: (tag, task_id) hands a tag's tasks over in id
-- order, which an array index (GIN) cannot.
CREATE TABLE tasker.task_tags (
    tag text NOT NULL,
    task_id uuid NOT NULL REFERENCES tasker.tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (tag, task_id)
);
CREATE INDEX task_tags_task ON tasker.task_tags (task_id);

CREATE INDEX tasks_template ON tasker.tasks (template_id, id);
CREATE INDEX tasks_correlation ON tasker.tasks (correlation_id, id) WHERE correlation_id <> '';
CREATE INDEX tasks_parent_correlation ON tasker.tasks (parent_correlation_id, id) WHERE parent_correlation_id <> '';
CREATE INDEX tasks_initiator ON tasker.tasks (initiator, id) WHERE initiator <> '';
CREATE INDEX tasks_source_system ON tasker.tasks (source_system, id) WHERE source_system <> '';
