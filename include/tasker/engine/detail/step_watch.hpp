#pragma once

#include <tasker/model/time.hpp>

#include <cstdint>

namespace tasker::detail {

/// What a worker does next for a step whose handler runs on the pool (see `step_watch`).
enum class step_watch_action_type : std::uint8_t {
    wait,                 ///< wait for the handler to return, a forced stop, or `until`; then resume
    heartbeat,            ///< extend the step's lease and its message's; then resume with the answer
    record_outcome,       ///< the handler returned: record its outcome (done)
    time_out,             ///< the deadline passed: tell the handler to stop, record a timeout (done)
    abandon_for_shutdown, ///< a stop's grace ran out: leave the message leased for a takeover (done)
    abandon_not_owned,    ///< the step is no longer ours: tell the handler to stop, ack (done)
};

/// What the worker saw when it resumes the watch.
struct step_watch_input {
    time_point now;
    bool handler_returned = false; ///< the handler's outcome is ready
    bool forced = false;           ///< the grace period of a stop ran out
    /// After a heartbeat: false only if the store answered that the attempt is no longer ours
    /// (a heartbeat that failed keeps the step). Read only then.
    bool still_owned = true;
};

/// What `step_watch::resume` says to do next.
struct step_watch_action {
    step_watch_action_type type = step_watch_action_type::wait;
    time_point until{}; ///< for `wait`
};

/// Watches one running step: its handler returning, its deadline, its heartbeats and a forced
/// stop, as a resumable state machine with no I/O (the worker performs what it returns).
/// `resume` is fed what the worker sees and returns the next action; after `wait` or
/// `heartbeat` the worker performs it and resumes, after any other action the watch is over.
///
/// The handler returning wins over a forced stop, which wins over the deadline. A wait lasts
/// until the deadline or one heartbeat interval, whichever comes first; a wake-up before the
/// deadline with nothing else to do is a heartbeat.
class step_watch {
public:
    step_watch(time_point deadline, duration heartbeat_interval) noexcept
        : deadline_(deadline), heartbeat_interval_(heartbeat_interval)
    {
    }

    step_watch_action resume(const step_watch_input& in) noexcept;

    /// True once `resume` returned an action that ends the watch.
    bool finished() const noexcept { return state_ == state::finished; }

private:
    enum class state : std::uint8_t { checking, waited, heartbeating, finished };

    step_watch_action check(const step_watch_input& in) noexcept;

    time_point deadline_;
    duration heartbeat_interval_;
    state state_ = state::checking;
    step_watch_action_type last_ = step_watch_action_type::wait;
};

} // namespace tasker::detail
