#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace tasker {

/// The ten states of a step (DESIGN "State machines"). Legal moves between them are
/// defined only by the Boost.MSM table behind `step_machine`.
enum class step_state : std::uint8_t {
    pending,
    enqueued,
    in_progress,
    enqueued_for_orchestration,
    enqueued_as_error_for_orchestration,
    waiting_for_retry,
    error,
    complete,
    cancelled,
    resolved_manually,
};

inline constexpr std::size_t step_state_count = 10;

/// What happens to a step; each is a column of the step machine's table.
enum class step_event : std::uint8_t {
    enqueue,        ///< dependencies met: a message goes to the worker queue
    claim,          ///< a worker claimed it (compare-and-set; attempts + 1)
    succeed,        ///< the attempt's result is durable; orchestration is told
    fail,           ///< the attempt failed (error, timeout or lost worker)
    complete,       ///< orchestration accepted the success
    wait_for_retry, ///< orchestration scheduled another attempt
    retry,          ///< the retry delay ran out: enqueue again
    give_up,        ///< no attempts left, or a permanent error
    cancel,
    resolve,        ///< an operator resolved the step by hand
    reset,          ///< an operator sends a failed step back to pending
    create,         ///< a decision or batchable step's outcome created the step (pending stays pending)
    refuse,         ///< the attempt's result is refused: a wrong decision or batch outcome
    skip,           ///< a step with nothing to do completes without running (a no-op batch worker)
    expire,         ///< its task passed a lifecycle limit while the step was unfinished
    complete_manually, ///< an operator completed the step by hand, with a result its dependents read
};

inline constexpr std::size_t step_event_count = 16;

std::string_view to_string(step_state s) noexcept;
std::string_view to_string(step_event e) noexcept;
std::optional<step_state> step_state_from_string(std::string_view s) noexcept;
std::optional<step_event> step_event_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, step_state s);
std::ostream& operator<<(std::ostream& os, step_event e);

constexpr bool is_terminal(step_state s) noexcept
{
    return s == step_state::complete || s == step_state::cancelled || s == step_state::resolved_manually;
}

/// A step in one of these states lets its dependents start.
constexpr bool satisfies_dependencies(step_state s) noexcept
{
    return s == step_state::complete || s == step_state::resolved_manually;
}

/// Handed to a worker or on its way back: the step's fate is not decided yet.
constexpr bool is_in_flight(step_state s) noexcept
{
    return s == step_state::enqueued || s == step_state::in_progress ||
           s == step_state::enqueued_for_orchestration || s == step_state::enqueued_as_error_for_orchestration;
}

} // namespace tasker
