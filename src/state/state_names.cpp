#include <tasker/state/step_state.hpp>
#include <tasker/state/task_state.hpp>

#include <array>
#include <ostream>

namespace tasker {

namespace {

constexpr std::array<std::string_view, task_state_count> task_state_names{
    "pending",           "initializing",          "enqueuing_steps",          "steps_in_process",
    "evaluating_results", "waiting_for_dependencies", "waiting_for_retry",     "blocked_by_failures",
    "complete",          "error",                 "cancelled",                "resolved_manually",
};

constexpr std::array<std::string_view, task_event_count> task_event_names{
    "start",          "ready_steps_found", "steps_enqueued",       "step_completed",    "step_failed",
    "no_dependencies_ready", "retry_scheduled", "retry_ready",     "all_steps_successful", "permanent_failure",
    "give_up",        "failures_resolved", "manual_resolution",    "cancel",            "reset",
    "expire",
};

constexpr std::array<std::string_view, step_state_count> step_state_names{
    "pending",           "enqueued",  "in_progress", "enqueued_for_orchestration", "enqueued_as_error_for_orchestration",
    "waiting_for_retry", "error",     "complete",    "cancelled",                  "resolved_manually",
};

constexpr std::array<std::string_view, step_event_count> step_event_names{
    "enqueue", "claim",  "succeed", "fail",   "complete", "wait_for_retry", "retry",
    "give_up", "cancel", "resolve", "reset",  "create",   "refuse",         "skip",
    "expire",  "complete_manually",
};

template <class Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view s) noexcept
{
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == s)
            return static_cast<Enum>(i);
    return std::nullopt;
}

template <std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, std::size_t i) noexcept
{
    return i < N ? names[i] : std::string_view{"unknown"};
}

} // namespace

std::string_view to_string(task_state s) noexcept { return name_of(task_state_names, static_cast<std::size_t>(s)); }
std::string_view to_string(task_event e) noexcept { return name_of(task_event_names, static_cast<std::size_t>(e)); }
std::string_view to_string(step_state s) noexcept { return name_of(step_state_names, static_cast<std::size_t>(s)); }
std::string_view to_string(step_event e) noexcept { return name_of(step_event_names, static_cast<std::size_t>(e)); }

std::optional<task_state> task_state_from_string(std::string_view s) noexcept
{
    return lookup<task_state>(task_state_names, s);
}
std::optional<task_event> task_event_from_string(std::string_view s) noexcept
{
    return lookup<task_event>(task_event_names, s);
}
std::optional<step_state> step_state_from_string(std::string_view s) noexcept
{
    return lookup<step_state>(step_state_names, s);
}
std::optional<step_event> step_event_from_string(std::string_view s) noexcept
{
    return lookup<step_event>(step_event_names, s);
}

std::ostream& operator<<(std::ostream& os, task_state s) { return os << to_string(s); }
std::ostream& operator<<(std::ostream& os, task_event e) { return os << to_string(e); }
std::ostream& operator<<(std::ostream& os, step_state s) { return os << to_string(s); }
std::ostream& operator<<(std::ostream& os, step_event e) { return os << to_string(e); }

} // namespace tasker
