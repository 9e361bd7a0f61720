#include "store/store_state.hpp"

#include <tasker/core/decision.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>

// The orchestration pass: under each task's lock, its results and due retries go through
// `decide`, and the decision is committed with its messages.

namespace tasker::postgres {

using namespace detail;

namespace {

// The results of decision and batchable steps whose results are to be judged: their
// outcomes say what to create.
constexpr statement outcome_results{
    "tasker_outcome_results",
    "SELECT s.task_id, s.idx, s.result::text FROM jsonb_to_recordset($1::jsonb) AS a(task uuid, step integer) "
    "JOIN tasker.steps AS s ON s.task_id = a.task AND s.idx = a.step"};

using outcome_map = std::map<std::pair<task_id, std::uint32_t>, json_ptr>;

// Only tasks of templates with decision or batch steps pay for the read.
outcome_map read_outcomes(write_transaction& tx, const std::vector<task_inputs>& work, std::vector<task_row>& rows)
{
    json::array wanted;
    for (const auto& [task, inputs] : work) {
        const auto* t = find_row(rows, task);
        if (!t || !t->dynamic())
            continue;
        for (std::uint32_t i = 0; i < t->status.size(); ++i) {
            const auto type = t->tmpl->steps[t->status[i].definition_or(i)].type;
            if ((type == step_type::decision || type == step_type::batchable) &&
                t->status[i].state == step_state::enqueued_for_orchestration)
                wanted.push_back(json::object{{"task", task.to_string()}, {"step", i}});
        }
    }
    outcome_map out;
    if (!wanted.empty())
        for (const auto& row : exec(tx.statements(), outcome_results, json::serialize(wanted)))
            out[{parse_uuid(row[0]), row[1].as<std::uint32_t>()}] = parse_json_field(row[2]);
    return out;
}

} // namespace

awaitable<result<void>> store::orchestrate(std::vector<message> events)
{
    std::erase_if(events, [](const message& m) { return !orchestrates(m); });
    if (events.empty())
        co_return result<void>{};
    auto op = [impl = impl_.get(), events = std::move(events)](pqxx::connection& c) -> result<void> {
        write_transaction tx(c);
        return impl->orchestrate(tx, events);
    };
    co_return co_await impl_->run<void>(std::move(op), "orchestrate");
}

result<void> store::impl::orchestrate(write_transaction& tx, const std::vector<message>& events, read_messages read)
{
    auto [rows, now_us] = lock_tasks(tx, task_ids(events, [](const message& m) { return m.task; }));
    if (auto loaded = load_templates(tx.statements(), row_pointers(rows)); !loaded)
        return loaded.error();
    changeset cs(now_us, config.route);
    cs.set_origin(orchestration_origin);
    decision d;
    std::vector<const message*> pointers_to_events;
    pointers_to_events.reserve(events.size());
    for (const auto& m : events)
        pointers_to_events.push_back(&m);
    // Each task's inputs in order: a later one sees what the earlier ones changed. Late and
    // duplicate events decide nothing.
    const auto work = orchestration_inputs(pointers_to_events);
    const auto outcomes = read_outcomes(tx, work, rows);
    for (const auto& [task, inputs] : work) {
        auto* t = find_row(rows, task);
        if (!t)
            continue;
        result_lookup results;
        if (t->dynamic())
            results = [&outcomes, id = t->id](std::uint32_t i) -> const json::value* {
                auto it = outcomes.find({id, i});
                return it == outcomes.end() || !it->second ? nullptr : it->second.get();
            };
        for (const auto& in : inputs)
            if (decide(*t->tmpl, t->id, t->state, t->status, in, next_random(), d, results))
                cs.apply_decision(*t, d);
    }
    cs.archive(std::move(read));
    commit(tx, cs, row_pointers(rows));
    return {};
}

} // namespace tasker::postgres
