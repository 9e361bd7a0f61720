-- tasker migration 0004: index plans for tasker.commit_changes, whatever the statistics say.
--
-- Every statement in the change-set function touches a handful of rows found by key (a task's
-- steps, a step's current transition). On a young or fast-growing database the statistics lag
-- behind (autovacuum analyzes a minute later at best), and the planner, believing the history
-- tables tiny, chose sequential or bitmap scans of every current transition joined by hash: a
-- cost growing with the table, measured at 60% of commit time in a 5,000-step burst. Nested
-- loops over the indexes are right at every size here.
ALTER FUNCTION tasker.commit_changes_via_pgmq(jsonb)
    SET enable_seqscan = off
    SET enable_bitmapscan = off
    SET enable_hashjoin = off
    SET enable_mergejoin = off;
