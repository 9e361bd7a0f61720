-- tasker migration 0004: index plans for tasker.commit_changes, whatever the statistics say.
--
-- Every statement in the change-set function touches a handful of rows found by key (a task's
-- steps, a step's current transition). On a young or fast-growing database the statistics lag
-- behind the tables, and a planner believing the history tables tiny chooses sequential or
-- bitmap scans joined by hash, whose cost grows with the table. Nested loops over the indexes
-- are right at every size here.
ALTER FUNCTION tasker.commit_changes_via_pgmq(jsonb)
    SET enable_seqscan = off
    SET enable_bitmapscan = off
    SET enable_hashjoin = off
    SET enable_mergejoin = off;
