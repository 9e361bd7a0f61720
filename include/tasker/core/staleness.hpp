#pragma once

#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>
#include <tasker/state/task_state.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace tasker {

/// The lifecycle limits of a template (`lifecycle:`), each bounding how long a task may stay
/// somewhere short of its end.
enum class lifecycle_limit : std::uint8_t {
    max_duration,                 ///< alive at all, from its creation
    max_waiting_for_dependencies, ///< in waiting_for_dependencies
    max_waiting_for_retry,        ///< in waiting_for_retry
    max_steps_in_process,         ///< in steps_in_process
};

/// tasker-core's field name without `_minutes`: "max_duration", "max_waiting_for_retry", ...
std::string_view to_string(lifecycle_limit l) noexcept;
std::ostream& operator<<(std::ostream& os, lifecycle_limit l);

/// Where a task stands against the limit that binds it soonest.
struct staleness_verdict {
    lifecycle_limit limit;
    duration allowed;          ///< the limit
    duration age;              ///< how long the task has been where the limit counts
    staleness_action action;   ///< what the limit's owner (template or defaults) says to do
    bool from_template = true; ///< false: the limit is one of the configured defaults

    bool passed() const noexcept { return age > allowed; }
    /// How much of the limit is used: 1 at the limit, above 1 past it.
    double used() const noexcept;
    /// In words, for the history and the dead-letter entry: "waiting_for_retry for 2m 5s,
    /// past the template's limit of 1m (max_waiting_for_retry_minutes)".
    std::string reason() const;
};

/// How long a task stays in `state` counts against `max_<state>` limits from `state_since`
/// (its latest task transition); its whole life counts against `max_duration` from
/// `created_at`. A limit the template sets wins over the default for the same limit, and
/// brings the template's `staleness_action`; a default brings the defaults' action.
///
/// The verdict for the limit that is most used (a passed one first), or none when no limit
/// applies: the task is terminal, or neither template nor defaults bound its state.
/// Pure: every store and the staleness view judge with it.
std::optional<staleness_verdict> judge_staleness(const lifecycle_limits& of_template, const lifecycle_limits& defaults,
                                                 task_state state, time_point created_at, time_point state_since,
                                                 time_point now);

/// The shortest limit among `of_template` and `defaults`: a task younger than this in its
/// state and in its life cannot be stale (stores narrow their search with it). None: no limit.
std::optional<duration> shortest_limit(const lifecycle_limits& of_template, const lifecycle_limits& defaults);

/// Whether `defaults` are usable: each limit positive. `errc::invalid_request` otherwise.
result<void> check_lifecycle_defaults(const lifecycle_limits& defaults);

} // namespace tasker
