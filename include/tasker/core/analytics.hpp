#pragma once
// The rules every store computes analytics by (`task_store::analytics`): what a query may ask,
// which tasks and templates it takes in, percentiles and the step rankings. A store only reads
// its records into a `template_tally`; the figures come from here, so both stores agree.

#include <tasker/error.hpp>
#include <tasker/model/template_key.hpp>
#include <tasker/model/time.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/task_analytics.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// The limits of `analytics_query::top_steps` and `sample`.
struct analytics_limits {
    static constexpr std::size_t max_top_steps = 50;
    static constexpr std::size_t max_sample = 100000;
};

/// Checks a query: a window with `to` after `from`, `top_steps` in 1..50, `sample` in
/// 1..100000, a `name` only with its `namespace_name`. `errc::invalid_request` with one
/// located problem per field that is wrong.
result<void> check_analytics_query(const analytics_query& q);

/// Whether a task created at `created` is in the query's window [from, to).
constexpr bool in_window(const analytics_query& q, time_point created) noexcept
{
    return created >= q.from && created < q.to;
}

/// Whether the query takes in the tasks of template `k` (its namespace and name filters).
bool selects(const analytics_query& q, const template_key& k) noexcept;

/// Nearest-rank percentiles of `samples` (any order): the p-th is the smallest value with at
/// least p% of the samples at or below it.
duration_summary summarize_durations(std::vector<duration> samples);

/// The `top` slowest steps: by p95, then p99, then name, slowest first.
std::vector<step_timing> rank_slowest(std::vector<step_timing> steps, std::size_t top);

/// The `top` most retried steps among those retried at all: by retries, then tasks, then name.
std::vector<step_retries> rank_most_retried(std::vector<step_retries> steps, std::size_t top);

/// One template version's figures as a store reads them: each task started in the window
/// (`started`), and for each task of the sample its duration, the duration of each attempt of
/// each step and each step's retries. `finish` makes the figures.
class template_tally {
public:
    explicit template_tally(template_key key) : key_(std::move(key)) {}

    const template_key& key() const noexcept { return key_; }

    /// `n` tasks created in the window that are in state `now`.
    void started(task_state now, std::uint64_t n = 1) noexcept;
    /// A finished task of the sample took `d` from its creation to its end.
    void sampled_task(duration d);
    /// An attempt of step `step` of a sampled task took `d` from its claim to its next transition.
    void attempt(std::string_view step, duration d);
    /// Step `step` of a sampled task took `retries` attempts beyond its first (summed over its
    /// batch workers, for a batch step); once per task and step.
    void retried(std::string_view step, std::uint64_t retries);

    /// The figures, each ranking cut to `top_steps`.
    template_analytics finish(std::size_t top_steps) &&;

private:
    template_key key_;
    task_state_counts states_;
    std::vector<duration> durations_;
    std::map<std::string, std::vector<duration>, std::less<>> attempts_;
    std::map<std::string, step_retries, std::less<>> retries_;
};

/// The answer to `q`: the templates' figures ordered by namespace, name and version, with the
/// system-wide counts, as of `as_of`.
task_analytics assemble_analytics(const analytics_query& q, time_point as_of, std::vector<template_tally> tallies,
                                  const task_state_counts& system);

} // namespace tasker
