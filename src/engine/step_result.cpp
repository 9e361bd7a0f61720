#include <tasker/engine/step_result.hpp>

#include <cstdio>

namespace tasker {

step_result success(json::value v)
{
    step_result r;
    r.value_ = std::move(v);
    return r;
}

step_result retryable_error(std::string message, std::optional<duration> retry_after)
{
    step_result r;
    r.ok_ = false;
    r.kind_ = error_kind::retryable;
    r.message_ = std::move(message);
    r.retry_after_ = retry_after;
    return r;
}

step_result permanent_error(std::string message)
{
    step_result r;
    r.ok_ = false;
    r.kind_ = error_kind::permanent;
    r.message_ = std::move(message);
    return r;
}

step_result timeout_error(std::string message)
{
    step_result r;
    r.ok_ = false;
    r.kind_ = error_kind::timeout;
    r.message_ = std::move(message);
    return r;
}

namespace {

step_result with_extra(json::value outcome, json::object extra)
{
    for (auto& [k, v] : outcome.as_object())
        extra[k] = std::move(v);
    return success(std::move(extra));
}

} // namespace

step_result create_steps(std::vector<std::string> step_names, json::object extra)
{
    return with_extra(to_result(decision_outcome{std::move(step_names)}), std::move(extra));
}

step_result no_branches(json::object extra) { return with_extra(to_result(decision_outcome{}), std::move(extra)); }

step_result create_batches(std::string worker_template, std::vector<batch_cursor> batches, std::int64_t total_items,
                           json::object extra)
{
    return with_extra(to_result(batch_outcome{std::move(worker_template), std::move(batches), total_items}),
                      std::move(extra));
}

step_result no_batches(json::object extra) { return with_extra(to_result(batch_outcome{}), std::move(extra)); }

std::vector<batch_cursor> even_batches(std::int64_t total_items, std::int64_t batch_size)
{
    std::vector<batch_cursor> out;
    if (batch_size <= 0)
        return out;
    for (std::int64_t start = 0, k = 1; start < total_items; start += batch_size, ++k) {
        char id[24];
        std::snprintf(id, sizeof id, "%03lld", static_cast<long long>(k));
        out.push_back({id, start, std::min(start + batch_size, total_items), batch_size, total_items});
    }
    return out;
}

} // namespace tasker
