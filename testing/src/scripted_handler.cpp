#include <tasker/testing/scripted_handler.hpp>

#include <tasker/engine/step_context.hpp>

namespace tasker::testing {

scripted_handler scripted_handler::succeed(json::value result)
{
    scripted_handler b;
    b.result_ = std::move(result);
    return b;
}

scripted_handler scripted_handler::fail_times(int n, std::string message)
{
    scripted_handler b;
    b.kind_ = kind::fail;
    b.failures_ = n;
    b.message_ = std::move(message);
    return b;
}

scripted_handler scripted_handler::permanent_failure(std::string message)
{
    scripted_handler b;
    b.kind_ = kind::permanent;
    b.message_ = std::move(message);
    return b;
}

scripted_handler scripted_handler::time_out(int n)
{
    scripted_handler b;
    b.kind_ = kind::time_out;
    b.failures_ = n;
    return b;
}

scripted_handler scripted_handler::then_succeed(json::value result) &&
{
    result_ = std::move(result);
    return std::move(*this);
}

step_handler scripted_handler::handler(std::function<void(time_point)> move_clock_past) const
{
    return [b = *this, move_past = std::move(move_clock_past)](step_context& ctx) -> step_result {
        const bool failing = b.failures_ < 0 || static_cast<int>(ctx.attempt()) <= b.failures_;
        switch (b.kind_) {
        case kind::succeed: break;
        case kind::permanent: return permanent_error(b.message_);
        case kind::fail:
            if (failing)
                return retryable_error(b.message_ + " (attempt " + std::to_string(ctx.attempt()) + ")");
            break;
        case kind::time_out:
            if (failing) {
                move_past(ctx.deadline()); // take longer than allowed, in virtual time
                return success(b.result_);
            }
            break;
        }
        return success(b.result_);
    };
}

} // namespace tasker::testing
