#include <tasker/engine/detail/step_watch.hpp>

#include <algorithm>

namespace tasker::detail {

step_watch_action step_watch::resume(const step_watch_input& in) noexcept
{
    switch (state_) {
    case state::finished: return {last_, {}};
    case state::heartbeating:
        if (!in.still_owned) {
            state_ = state::finished;
            last_ = step_watch_action_type::abandon_not_owned;
            return {last_, {}};
        }
        return check(in);
    case state::waited:
        if (!in.handler_returned && !in.forced && in.now < deadline_) {
            state_ = state::heartbeating;
            return {step_watch_action_type::heartbeat, {}};
        }
        return check(in);
    case state::checking: return check(in);
    }
    return check(in);
}

step_watch_action step_watch::check(const step_watch_input& in) noexcept
{
    if (in.handler_returned)
        last_ = step_watch_action_type::record_outcome;
    else if (in.forced)
        last_ = step_watch_action_type::abandon_for_shutdown;
    else if (in.now >= deadline_)
        last_ = step_watch_action_type::time_out;
    else {
        state_ = state::waited;
        return {step_watch_action_type::wait, std::min(deadline_, in.now + heartbeat_interval_)};
    }
    state_ = state::finished;
    return {last_, {}};
}

} // namespace tasker::detail
