-- A million tasks for measuring tasker::postgres::store::analytics (bench/analytics/run.sh; figures in
-- docs/benchmarks.md): 5 templates, tasks over the last 24 hours, steps and history for the newest
-- 100 000 (the ones an hour's window samples).
INSERT INTO tasker.templates (namespace_name, name, version, definition, effective_retry)
SELECT 'bench', 'flow_' || g, '1.0.0', '{}', '{}' FROM generate_series(1, 5) AS g;
-- 1M tasks over the last 24 hours, 5 templates; 3% still running, 5% error, 2% cancelled.
CREATE TEMP TABLE seed AS
SELECT i, clock_timestamp() - (1000000 - i) * interval '86.4 ms' AS ts FROM generate_series(1, 1000000) AS i;
INSERT INTO tasker.tasks (id, template_id, state, context, created_at, updated_at)
SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || substr(md5(i::text), 1, 3) || '8' ||
        substr(md5(i::text), 4, 15))::uuid,
       (SELECT min(id) FROM tasker.templates) + i % 5,
       (CASE WHEN i % 100 < 3 THEN 'steps_in_process' WHEN i % 100 < 8 THEN 'error' WHEN i % 100 < 10 THEN 'cancelled'
             ELSE 'complete' END)::tasker.task_state,
       '{}', ts, ts + interval '2 s'
FROM seed;
-- History and steps for the newest 100k (the last ~2.4 hours: what windows of an hour sample).
CREATE TEMP TABLE recent AS SELECT t.id, t.created_at AS ts, t.state FROM tasker.tasks t ORDER BY t.id DESC LIMIT 100000;
INSERT INTO tasker.steps (task_id, idx, state, attempts)
SELECT r.id, s, 'complete', CASE WHEN s = 1 AND get_byte(uuid_send(r.id), 15) % 10 = 0 THEN 2 ELSE 1 END
FROM recent r, generate_series(0, 2) AS s;
INSERT INTO tasker.step_transitions (seq, task_id, idx, attempt, from_state, to_state, event, at, most_recent)
SELECT nextval('tasker.transition_seq'), r.id, s, 1, e.f::tasker.step_state, e.t::tasker.step_state, e.ev::tasker.step_event,
       r.ts + (s * 500 + e.ms) * interval '1 ms', e.last
FROM recent r, generate_series(0, 2) AS s,
     (VALUES (1, 'pending', 'enqueued', 'enqueue', 0, false), (2, 'enqueued', 'in_progress', 'claim', 10, false),
             (3, 'in_progress', 'enqueued_for_orchestration', 'succeed', 300, false),
             (4, 'enqueued_for_orchestration', 'complete', 'complete', 310, true)) AS e(n, f, t, ev, ms, last)
ORDER BY r.id, s, e.n;
INSERT INTO tasker.task_transitions (seq, task_id, from_state, to_state, event, at, most_recent)
SELECT nextval('tasker.transition_seq'), r.id, 'steps_in_process', r.state,
       (CASE r.state WHEN 'complete' THEN 'all_steps_successful' WHEN 'error' THEN 'give_up' WHEN 'cancelled' THEN 'cancel'
        ELSE 'steps_enqueued' END)::tasker.task_event, r.ts + interval '2 s', true
FROM recent r;
VACUUM ANALYZE;
SELECT pg_size_pretty(pg_total_relation_size('tasker.tasks')) AS tasks, pg_size_pretty(pg_total_relation_size('tasker.step_transitions')) AS history;
