#include "store/store_state.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

// Reads for clients and operators: a task with its steps, history and failures (listings are
// in task_listing.cpp, the dead-letter queue in dead_letters.cpp).

namespace tasker::postgres {

using namespace detail;

awaitable<result<task_view>> store::get_task(task_id id)
{
    static constexpr statement task{
        "tasker_view_task",
        "SELECT template_id, state, context::text, identity_key, correlation_id, "
        "(extract(epoch FROM created_at) * 1000000)::bigint, (extract(epoch FROM updated_at) * 1000000)::bigint, "
        "parent_correlation_id, initiator, source_system, reason, array_to_json(tags)::text, priority "
        "FROM tasker.tasks WHERE id = $1::uuid"};
    static constexpr statement steps{
        "tasker_view_steps",
        "SELECT idx, state, attempts, result::text, error_kind, error_message, error_attempt, retry_after_us, "
        "definition, name, checkpoint::text FROM tasker.steps WHERE task_id = $1::uuid AND created ORDER BY idx"};
    // Both histories in the order they were made, numbered from 1 per task.
    static constexpr statement history{
        "tasker_view_history",
        "SELECT h.idx, h.attempt, h.from_state, h.to_state, h.event, h.at_us, h.actor, h.reason, h.metadata FROM ("
        " SELECT seq, NULL::integer AS idx, NULL::integer AS attempt, from_state::text, to_state::text, event::text,"
        "  (extract(epoch FROM at) * 1000000)::bigint AS at_us, actor, reason, metadata::text"
        "  FROM tasker.task_transitions WHERE task_id = $1::uuid"
        " UNION ALL"
        " SELECT seq, idx, attempt, from_state::text, to_state::text, event::text,"
        "  (extract(epoch FROM at) * 1000000)::bigint, actor, reason, metadata::text"
        "  FROM tasker.step_transitions WHERE task_id = $1::uuid"
        ") AS h ORDER BY h.seq"};
    static constexpr statement failures{
        "tasker_view_failures",
        "SELECT idx, attempt, kind, message, retry_after_us FROM tasker.step_failures WHERE task_id = $1::uuid "
        "ORDER BY at, idx"};

    auto op = [impl = impl_.get(), id](pqxx::connection& c) -> result<task_view> {
        // One snapshot for the three reads: a view never mixes two moments of the task.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
        const auto key = id.to_string();
        const auto rows = exec(tx, task, key);
        if (rows.empty())
            return error{errc::task_not_found, "no task " + key};
        const auto& row = rows[0];
        auto tmpl = impl->template_by_id(tx, row[0].as<std::int64_t>());
        if (!tmpl)
            return tmpl.error();
        task_view v;
        v.id = id;
        v.tmpl = *tmpl;
        v.state = task_state_from_string(row[1].c_str()).value();
        v.context = parse_json_field(row[2]);
        v.identity_key = row[3].c_str();
        v.correlation_id = row[4].c_str();
        v.created_at = from_us(row[5].as<std::int64_t>());
        v.updated_at = from_us(row[6].as<std::int64_t>());
        v.parent_correlation_id = row[7].c_str();
        v.initiator = row[8].c_str();
        v.source_system = row[9].c_str();
        v.reason = row[10].c_str();
        v.tags = parse_tags(row[11]);
        v.priority = row[12].as<int>();
        for (const auto& s : exec(tx, steps, key)) {
            step_view sv;
            sv.index = s[0].as<std::uint32_t>();
            const auto definition = s[8].is_null() ? sv.index : s[8].as<std::uint32_t>();
            if (!s[9].is_null())
                sv.name = s[9].c_str();
            else if (definition < v.tmpl->steps.size())
                sv.name = v.tmpl->steps[definition].name;
            sv.state = step_state_from_string(s[1].c_str()).value();
            sv.attempts = s[2].as<std::uint32_t>();
            sv.result = parse_json_field(s[3]);
            sv.checkpoint = parse_json_field(s[10]);
            if (!s[4].is_null()) {
                step_failure f;
                f.kind = error_kind_from_string(s[4].c_str()).value();
                f.message = s[5].is_null() ? std::string() : std::string(s[5].c_str());
                f.attempt = s[6].is_null() ? 0 : s[6].as<std::uint32_t>();
                if (!s[7].is_null())
                    f.retry_after = std::chrono::microseconds(s[7].as<std::int64_t>());
                sv.last_error = std::move(f);
            }
            v.steps.push_back(std::move(sv));
        }
        std::uint32_t seq = 0;
        // Rows of one change share their origin: one object per run of equal origins.
        std::shared_ptr<const change_origin> origin;
        for (const auto& h : exec(tx, history, key)) {
            const auto at = from_us(h[5].as<std::int64_t>());
            change_origin o{h[6].is_null() ? std::string() : h[6].c_str(),
                            h[7].is_null() ? std::string() : h[7].c_str(), parse_json_field(h[8])};
            if (o.empty())
                origin.reset();
            else if (!origin || origin->actor != o.actor || origin->reason != o.reason)
                origin = std::make_shared<const change_origin>(std::move(o));
            if (h[0].is_null())
                v.task_transitions.push_back({++seq, task_state_from_string(h[2].c_str()).value(),
                                              task_state_from_string(h[3].c_str()).value(),
                                              task_event_from_string(h[4].c_str()).value(), at, origin});
            else
                v.step_transitions.push_back({++seq, h[0].as<std::uint32_t>(), h[1].as<std::uint32_t>(),
                                              step_state_from_string(h[2].c_str()).value(),
                                              step_state_from_string(h[3].c_str()).value(),
                                              step_event_from_string(h[4].c_str()).value(), at, origin});
        }
        for (const auto& f : exec(tx, failures, key)) {
            step_failure_record r;
            r.step = f[0].as<std::uint32_t>();
            r.failure.attempt = f[1].as<std::uint32_t>();
            r.failure.kind = error_kind_from_string(f[2].c_str()).value();
            r.failure.message = f[3].c_str();
            if (!f[4].is_null())
                r.failure.retry_after = std::chrono::microseconds(f[4].as<std::int64_t>());
            v.failures.push_back(std::move(r));
        }
        tx.commit();
        return v;
    };
    co_return co_await impl_->run<task_view>(std::move(op), "get_task");
}

} // namespace tasker::postgres
