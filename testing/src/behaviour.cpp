#include <tasker/testing/behaviour.hpp>

#include <tasker/engine/step_context.hpp>

namespace tasker::testing {

behaviour behaviour::succeed(json::value result)
{
    behaviour b;
    b.result_ = std::move(result);
    return b;
}

behaviour behaviour::fail_times(int n, std::string message)
{
    behaviour b;
    b.kind_ = kind::fail;
    b.failures_ = n;
    b.message_ = std::move(message);
    return b;
}

behaviour behaviour::permanent_failure(std::string message)
{
    behaviour b;
    b.kind_ = kind::permanent;
    b.message_ = std::move(message);
    return b;
}

behaviour behaviour::time_out(int n)
{
    behaviour b;
    b.kind_ = kind::time_out;
    b.failures_ = n;
    return b;
}

behaviour behaviour::then_succeed(json::value result) &&
{
    result_ = std::move(result);
    return std::move(*this);
}

step_handler behaviour::handler(std::function<void(time_point)> move_clock_past) const
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
