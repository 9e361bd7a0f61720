#include "store/store_state.hpp"

#include <tasker/core/decision.hpp>

#include <algorithm>

// The orchestration pass: under each task's lock, its results and due retries go through
// `decide`, and the decision is committed with its messages.

namespace tasker::postgres {

using namespace detail;

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
    decision d;
    std::vector<const message*> pointers_to_events;
    pointers_to_events.reserve(events.size());
    for (const auto& m : events)
        pointers_to_events.push_back(&m);
    // Each task's inputs in order: a later one sees what the earlier ones changed. Late and
    // duplicate events decide nothing.
    for (const auto& [task, inputs] : orchestration_inputs(pointers_to_events)) {
        auto* t = find_row(rows, task);
        if (!t)
            continue;
        for (const auto& in : inputs)
            if (decide(*t->tmpl, t->id, t->state, t->status, in, next_random(), d))
                cs.apply_decision(*t, d);
    }
    cs.archive(std::move(read));
    commit(tx, cs, row_pointers(rows));
    return {};
}

} // namespace tasker::postgres
