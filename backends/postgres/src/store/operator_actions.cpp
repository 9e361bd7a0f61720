#include "store/store_state.hpp"

#include <tasker/core/decision.hpp>

// Operator actions (cancel, resolve, complete or reset a step, retry failed steps, resolve a task): the core turns each into a
// decision input (operator_input), decides, and the store commits it like any other decision.

namespace tasker::postgres {

using namespace detail;

awaitable<result<task_state>> store::apply_action(task_id id, operator_action a, change_origin who)
{
    if (auto r = check_operator_origin(who); !r)
        co_return r.error();
    auto op = [impl = impl_.get(), id, a = std::move(a), who = std::move(who)](pqxx::connection& c) -> result<task_state> {
        write_transaction tx(c);
        auto [rows, now_us] = impl->lock_tasks(tx, {id});
        if (rows.empty())
            return error{errc::task_not_found, "no task " + id.to_string()};
        auto& t = rows.front();
        if (auto loaded = impl->load_templates(tx.statements(), {&t}); !loaded)
            return loaded.error();

        const auto wanted = operator_input(*t.tmpl, t.id, a, t.names());
        if (!wanted)
            return wanted.error();
        const auto& in = *wanted;

        decision d;
        if (auto r = decide(*t.tmpl, t.id, t.state, t.status, in, impl->next_random(), d); !r)
            return r.error(); // nothing written: the transaction rolls back
        changeset cs(now_us, impl->config.route);
        cs.set_origin(who);
        cs.apply_decision(t, d);
        if (auto resolved = resolved_step_result(in, a)) {
            auto& row = t.steps[resolved->first];
            row.result = std::move(resolved->second);
            row.set_result = true;
        }
        commit(tx, cs, {&t});
        return t.state;
    };
    co_return co_await impl_->run<task_state>(std::move(op), "apply_action");
}

} // namespace tasker::postgres
