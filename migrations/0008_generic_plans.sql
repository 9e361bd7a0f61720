-- tasker migration 0008: the hot functions plan their statements once per session.
--
-- PL/pgSQL runs each statement through the plan cache, which makes a custom plan for the
-- parameters at hand and switches to the generic plan only when that looks no dearer. For
-- `id = ANY(ids)` with one or two ids the custom plan always looks cheaper, so every call would
-- plan its statements again, which costs more than running them. The statements here find rows
-- by key whatever the parameters are (see 0004), so the generic plan is the right one.
ALTER FUNCTION tasker.lock_tasks(uuid[]) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION tasker.commit_changes(jsonb) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION tasker.commit_changes_via_pgmq(jsonb) SET plan_cache_mode = force_generic_plan;
