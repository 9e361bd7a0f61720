#include <tasker/core/analytics.hpp>

#include <tasker/store/new_task.hpp>

#include "../store/request_text.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace tasker {

result<void> check_analytics_query(const analytics_query& q)
{
    std::vector<problem> problems;
    if (q.to <= q.from)
        problems.push_back({"to", 0, 0, "must be after from: the window is [from, to)"});
    if (q.top_steps < 1 || q.top_steps > analytics_limits::max_top_steps)
        problems.push_back({"top_steps", 0, 0,
                            "must be between 1 and " + std::to_string(analytics_limits::max_top_steps) + ", got " +
                                std::to_string(q.top_steps)});
    if (q.sample < 1 || q.sample > analytics_limits::max_sample)
        problems.push_back({"sample", 0, 0,
                            "must be between 1 and " + std::to_string(analytics_limits::max_sample) + ", got " +
                                std::to_string(q.sample)});
    if (!q.name.empty() && q.namespace_name.empty())
        problems.push_back({"name", 0, 0, "needs namespace_name: a template is named within its namespace"});
    if (auto p = detail::check_request_text("namespace_name", q.namespace_name, request_limits::label_bytes))
        problems.push_back(std::move(*p));
    if (auto p = detail::check_request_text("name", q.name, request_limits::label_bytes))
        problems.push_back(std::move(*p));
    if (!problems.empty())
        return detail::invalid_request("the analytics query", std::move(problems));
    return {};
}

bool selects(const analytics_query& q, const template_key& k) noexcept
{
    return (q.namespace_name.empty() || k.namespace_name == q.namespace_name) && (q.name.empty() || k.name == q.name);
}

duration_summary summarize_durations(std::vector<duration> samples)
{
    duration_summary s;
    s.count = samples.size();
    if (samples.empty())
        return s;
    std::sort(samples.begin(), samples.end());
    const auto n = samples.size();
    // Nearest rank: the ceil(p * n / 100)-th smallest, counting from 1.
    const auto at = [&](std::size_t p) { return samples[std::max<std::size_t>((p * n + 99) / 100, 1) - 1]; };
    s.p50 = at(50);
    s.p95 = at(95);
    s.p99 = at(99);
    return s;
}

std::vector<step_timing> rank_slowest(std::vector<step_timing> steps, std::size_t top)
{
    std::sort(steps.begin(), steps.end(), [](const step_timing& a, const step_timing& b) {
        return std::tie(b.attempts.p95, b.attempts.p99, a.step) < std::tie(a.attempts.p95, a.attempts.p99, b.step);
    });
    if (steps.size() > top)
        steps.resize(top);
    return steps;
}

std::vector<step_retries> rank_most_retried(std::vector<step_retries> steps, std::size_t top)
{
    std::erase_if(steps, [](const step_retries& s) { return s.retries == 0; });
    std::sort(steps.begin(), steps.end(), [](const step_retries& a, const step_retries& b) {
        return std::tie(b.retries, b.tasks, a.step) < std::tie(a.retries, a.tasks, b.step);
    });
    if (steps.size() > top)
        steps.resize(top);
    return steps;
}

void template_tally::started(task_state now, std::uint64_t n) noexcept
{
    states_.by[static_cast<std::size_t>(now)] += n;
}

void template_tally::sampled_task(duration d)
{
    durations_.push_back(d);
}

void template_tally::attempt(std::string_view step, duration d)
{
    auto it = attempts_.find(step);
    if (it == attempts_.end())
        it = attempts_.emplace(std::string(step), std::vector<duration>{}).first;
    it->second.push_back(d);
}

void template_tally::retried(std::string_view step, std::uint64_t retries)
{
    if (retries == 0)
        return;
    auto it = retries_.find(step);
    if (it == retries_.end())
        it = retries_.emplace(std::string(step), step_retries{std::string(step), 0, 0}).first;
    it->second.retries += retries;
    ++it->second.tasks;
}

template_analytics template_tally::finish(std::size_t top_steps) &&
{
    template_analytics out;
    out.key = std::move(key_);
    out.started = states_.total();
    out.completed = states_.of(task_state::complete);
    out.failed = states_.of(task_state::error);
    out.cancelled = states_.of(task_state::cancelled);
    out.resolved_manually = states_.of(task_state::resolved_manually);
    out.running = out.started - out.finished();
    out.durations = summarize_durations(std::move(durations_));
    std::vector<step_timing> timings;
    for (auto& [step, ds] : attempts_)
        timings.push_back({step, summarize_durations(std::move(ds))});
    out.slowest_steps = rank_slowest(std::move(timings), top_steps);
    std::vector<step_retries> retried;
    for (auto& [step, r] : retries_)
        retried.push_back(std::move(r));
    out.most_retried_steps = rank_most_retried(std::move(retried), top_steps);
    return out;
}

task_analytics assemble_analytics(const analytics_query& q, time_point as_of, std::vector<template_tally> tallies,
                                  const task_state_counts& system)
{
    task_analytics out;
    out.from = q.from;
    out.to = q.to;
    out.as_of = as_of;
    out.system = system;
    std::sort(tallies.begin(), tallies.end(),
              [](const template_tally& a, const template_tally& b) { return a.key() < b.key(); });
    for (auto& t : tallies) {
        auto figures = std::move(t).finish(q.top_steps);
        if (figures.started == 0)
            continue;
        out.sampled_tasks += figures.durations.count;
        out.templates.push_back(std::move(figures));
    }
    return out;
}

} // namespace tasker
