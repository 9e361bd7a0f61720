#include <tasker/engine/step_result.hpp>

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

} // namespace tasker
