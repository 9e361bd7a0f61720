#include "store/store_state.hpp"

#include <tasker/core/decision.hpp>

#include <algorithm>

// Staleness passes: live tasks old enough to be near any limit are read without locks and
// judged by the core; each one to expire is then locked, read and judged again, and expired
// in a transaction of its own (its reason is its own), so concurrent passes, in any number of
// processes, expire each task once.

namespace tasker::postgres {

using namespace detail;

namespace {

constexpr statement all_templates{"tasker_all_template_ids", "SELECT id FROM tasker.templates"};

// Live tasks whose life or current state began before $1 (microseconds), oldest first.
constexpr statement live_tasks{
    "tasker_stale_candidates",
    "SELECT t.id, t.template_id, t.state::text, (extract(epoch FROM t.created_at) * 1000000)::bigint, "
    "(extract(epoch FROM coalesce(h.at, t.created_at)) * 1000000)::bigint "
    "FROM tasker.tasks AS t LEFT JOIN tasker.task_transitions AS h ON h.task_id = t.id AND h.most_recent "
    "WHERE t.state IN ('pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results', "
    "'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures') "
    "AND (t.created_at < timestamptz 'epoch' + $1::bigint * interval '1 microsecond' "
    "OR coalesce(h.at, t.created_at) < timestamptz 'epoch' + $1::bigint * interval '1 microsecond') "
    "ORDER BY t.created_at LIMIT $2"};

// The times a locked task is judged by.
constexpr statement task_times{
    "tasker_stale_times",
    "SELECT (extract(epoch FROM t.created_at) * 1000000)::bigint, "
    "(extract(epoch FROM coalesce(h.at, t.created_at)) * 1000000)::bigint "
    "FROM tasker.tasks AS t LEFT JOIN tasker.task_transitions AS h ON h.task_id = t.id AND h.most_recent "
    "WHERE t.id = $1::uuid"};

constexpr statement server_now{"tasker_now_us", "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"};

} // namespace

awaitable<result<std::vector<stale_task>>> store::sweep_stale(staleness_sweep sweep)
{
    if (auto r = check_sweep(sweep); !r)
        co_return r.error();
    auto op = [impl = impl_.get(), sweep = std::move(sweep)](pqxx::connection& c) -> result<std::vector<stale_task>> {
        std::vector<stale_task> found;
        {
            pqxx::read_transaction tx(c);
            std::vector<std::int64_t> ids;
            for (const auto& row : exec(tx, all_templates))
                ids.push_back(row[0].as<std::int64_t>());
            if (auto cached = impl->cache_templates(tx, ids); !cached)
                return cached.error();
            // No task younger than the shortest limit (scaled to what is reported) can be found.
            std::optional<duration> shortest;
            for (auto id : ids) {
                auto tmpl = impl->template_by_id(tx, id);
                if (!tmpl)
                    return tmpl.error();
                if (auto s = shortest_limit((*tmpl)->lifecycle, sweep.defaults); s && (!shortest || *s < *shortest))
                    shortest = s;
            }
            if (!shortest)
                return found;
            const auto now = sweep.as_of.value_or(from_us(exec(tx, server_now)[0][0].as<std::int64_t>()));
            const auto reach = std::chrono::duration_cast<duration>(*shortest * sweep.report_from);
            const auto rows = exec(tx, live_tasks, to_us((now - reach).time_since_epoch()),
                                   static_cast<long long>(std::max<std::size_t>(sweep.limit * 10, 1000)));
            for (const auto& row : rows) {
                auto tmpl = impl->template_by_id(tx, row[1].as<std::int64_t>());
                if (!tmpl)
                    return tmpl.error();
                const auto state = task_state_from_string(row[2].c_str()).value();
                auto v = judge_staleness((*tmpl)->lifecycle, sweep.defaults, state, from_us(row[3].as<std::int64_t>()),
                                         from_us(row[4].as<std::int64_t>()), now);
                if (v && v->used() >= sweep.report_from)
                    found.push_back({parse_uuid(row[0]), (*tmpl)->key(), state, *v, false});
            }
            tx.commit();
        }
        std::sort(found.begin(), found.end(), [](const stale_task& a, const stale_task& b) {
            return a.verdict.used() > b.verdict.used() || (a.verdict.used() == b.verdict.used() && a.task < b.task);
        });
        if (found.size() > sweep.limit)
            found.resize(sweep.limit);
        if (sweep.dry_run)
            return found;

        for (auto& f : found) {
            if (!f.verdict.passed() || f.verdict.action == staleness_action::none)
                continue;
            write_transaction tx(c);
            auto [rows, now_us] = impl->lock_tasks(tx, {f.task});
            if (rows.empty())
                continue; // removed meanwhile
            auto& t = rows.front();
            if (auto loaded = impl->load_templates(tx.statements(), {&t}); !loaded)
                return loaded.error();
            const auto times = exec(tx.statements(), task_times, f.task.to_string());
            const auto now = sweep.as_of.value_or(from_us(now_us));
            auto v = judge_staleness(t.tmpl->lifecycle, sweep.defaults, t.state, from_us(times[0][0].as<std::int64_t>()),
                                     from_us(times[0][1].as<std::int64_t>()), now);
            if (!v || !v->passed() || v->action == staleness_action::none) {
                tx.commit_with(""); // another pass, or the task itself, got there first
                continue;
            }
            const input::expire in{v->action == staleness_action::dlq, v->reason()};
            decision d;
            if (auto r = decide(*t.tmpl, t.id, t.state, t.status, in, impl->next_random(), d); !r)
                return r.error();
            changeset cs(now_us, impl->config.route);
            change_origin origin = sweep.origin;
            origin.reason = in.reason;
            origin.metadata = make_json(
                json::object{{"limit", to_string(v->limit)},
                             {"allowed_ms", std::chrono::duration_cast<milliseconds>(v->allowed).count()},
                             {"age_ms", std::chrono::duration_cast<milliseconds>(v->age).count()}});
            cs.set_origin(origin);
            cs.apply_decision(t, d);
            commit(tx, cs, {&t});
            f.state = task_state::error;
            f.verdict = *v;
            f.acted = !d.empty();
        }
        return found;
    };
    co_return co_await impl_->run<std::vector<stale_task>>(std::move(op), "sweep_stale");
}

} // namespace tasker::postgres
