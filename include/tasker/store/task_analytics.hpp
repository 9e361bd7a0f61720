#pragma once

#include <tasker/model/template_key.hpp>
#include <tasker/model/time.hpp>
#include <tasker/state/task_state.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tasker {

/// What `task_store::analytics` looks at: the tasks started (created) in [`from`, `to`),
/// as they stand now, per template version. Counts are exact; durations and step figures
/// come from a sample, the newest `sample` finished tasks of each template in the window.
/// Checked by `check_analytics_query`.
///
/// @par Example
/// @code
/// const auto now = std::chrono::system_clock::now();
/// auto last_hour = co_await store.analytics({.from = now - std::chrono::hours(1), .to = now});
/// @endcode
struct analytics_query {
    time_point from; ///< the first instant of the window (a task created at `from` is in it)
    time_point to;   ///< the end of the window, after `from` (a task created at `to` is not)
    /// Only the templates of this namespace; empty: every namespace.
    std::string namespace_name;
    /// Only the templates of this name (every version); needs `namespace_name`. Empty: every name.
    std::string name;
    /// How many steps each ranking lists (slowest, most retried): 1..50.
    std::size_t top_steps = 5;
    /// Durations, step timings and retries are measured over at most this many of the newest
    /// finished tasks of each template in the window: 1..100000.
    std::size_t sample = 1000;
};

/// Nearest-rank percentiles of some durations (`count` of them; all zero when none).
struct duration_summary {
    std::uint64_t count = 0;
    duration p50{};
    duration p95{};
    duration p99{};
    friend bool operator==(const duration_summary&, const duration_summary&) = default;
};

/// How long the attempts of one step took: from its claim (the transition to `in_progress`)
/// to the step's next transition (its result, a lost lease, a cancellation).
struct step_timing {
    std::string step; ///< the template step's name (batch workers count under the step they run)
    duration_summary attempts;
    friend bool operator==(const step_timing&, const step_timing&) = default;
};

/// How often one step needed more than one attempt.
struct step_retries {
    std::string step;
    std::uint64_t retries = 0; ///< attempts beyond the first, summed over the tasks
    std::uint64_t tasks = 0;   ///< tasks in which the step had more than one attempt
    friend bool operator==(const step_retries&, const step_retries&) = default;
};

/// One template version's figures over the window.
struct template_analytics {
    template_key key;
    /// Tasks created in the window, and how many of them are in each kind of state now.
    std::uint64_t started = 0;
    std::uint64_t completed = 0;         ///< `complete`
    std::uint64_t failed = 0;            ///< `error`
    std::uint64_t cancelled = 0;
    std::uint64_t resolved_manually = 0;
    std::uint64_t running = 0;           ///< not finished (any non-terminal state)
    /// Created to finished (the transition into the terminal state), over the sample.
    /// `durations.count` is how many finished tasks the sample holds.
    duration_summary durations;
    /// The steps whose attempts took longest, by p95 (then p99, then name), at most
    /// `top_steps`, over the sample.
    std::vector<step_timing> slowest_steps;
    /// The steps retried most, by retries (then tasks, then name), only those retried at
    /// all, at most `top_steps`, over the sample.
    std::vector<step_retries> most_retried_steps;

    std::uint64_t finished() const noexcept { return completed + failed + cancelled + resolved_manually; }
};

/// Tasks per state.
struct task_state_counts {
    std::array<std::uint64_t, task_state_count> by{};

    std::uint64_t of(task_state s) const noexcept { return by[static_cast<std::size_t>(s)]; }
    std::uint64_t total() const noexcept
    {
        std::uint64_t n = 0;
        for (auto v : by)
            n += v;
        return n;
    }
    friend bool operator==(const task_state_counts&, const task_state_counts&) = default;
};

/// What `task_store::analytics` answers.
struct task_analytics {
    time_point from, to; ///< the query's window
    time_point as_of;    ///< when the store counted (its clock: the database server's for PostgreSQL)
    /// One entry per template version with tasks in the window (and the query's filters),
    /// ordered by namespace, name and version.
    std::vector<template_analytics> templates;
    /// Every task the store holds now, per state: system-wide, neither windowed nor filtered.
    task_state_counts system;
    /// Finished tasks the durations were measured over, summed over the templates.
    std::uint64_t sampled_tasks = 0;
};

} // namespace tasker
