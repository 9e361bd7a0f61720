#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace tasker {

/// The twelve states of a task (DESIGN "State machines"). Legal moves between them are
/// defined only by the Boost.MSM table behind `task_machine`.
enum class task_state : std::uint8_t {
    pending,
    initializing,
    enqueuing_steps,
    steps_in_process,
    evaluating_results,
    waiting_for_dependencies,
    waiting_for_retry,
    blocked_by_failures,
    complete,
    error,
    cancelled,
    resolved_manually,
};

inline constexpr std::size_t task_state_count = 12;

/// What happens to a task; each is a column of the task machine's table.
enum class task_event : std::uint8_t {
    start,                 ///< begin processing (submit, or after an operator reset)
    ready_steps_found,     ///< evaluation found steps whose dependencies are met
    steps_enqueued,        ///< their messages are committed with the state change
    step_completed,        ///< a step result (or an operator resolution) arrived
    step_failed,           ///< a step attempt failed
    no_dependencies_ready, ///< steps are in flight, nothing new can start
    retry_scheduled,       ///< nothing in flight, only steps waiting for their retry
    retry_ready,           ///< a step's retry delay ran out
    all_steps_successful,  ///< every step is complete or resolved
    permanent_failure,     ///< a step failed for good
    give_up,               ///< failed and nothing left in flight: the task ends in error
    failures_resolved,     ///< an operator reset or resolved the failed steps
    manual_resolution,     ///< an operator resolved the whole task
    cancel,
    reset,                 ///< an operator restarts a task that ended in error
    expire,                ///< the task passed a lifecycle limit (staleness): it ends in error
};

inline constexpr std::size_t task_event_count = 16;

std::string_view to_string(task_state s) noexcept;
std::string_view to_string(task_event e) noexcept;
std::optional<task_state> task_state_from_string(std::string_view s) noexcept;
std::optional<task_event> task_event_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, task_state s);
std::ostream& operator<<(std::ostream& os, task_event e);

constexpr bool is_terminal(task_state s) noexcept
{
    return s == task_state::complete || s == task_state::error || s == task_state::cancelled ||
           s == task_state::resolved_manually;
}

} // namespace tasker
