#pragma once
// The benchmark workflow and its measurements, shared by every backend's benchmark.

#include <tasker/model/task_template.hpp>
#include <tasker/store/task_view.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

namespace bench {

/// diamond-N: one root, N parallel middle steps, one join: N + 2 steps, 2 levels of fan.
inline tasker::task_template diamond_template(int width)
{
    tasker::task_template t;
    t.name = "diamond_" + std::to_string(width);
    t.namespace_name = "bench";
    t.version = tasker::semver{1, 0, 0, {}, {}};
    tasker::step_template root;
    root.name = "root";
    root.handler.callable = "bench.noop";
    t.steps.push_back(root);
    tasker::step_template join;
    join.name = "join";
    join.handler.callable = "bench.noop";
    for (int i = 0; i < width; ++i) {
        tasker::step_template mid;
        mid.name = "mid_" + std::to_string(i);
        mid.handler.callable = "bench.noop";
        mid.dependencies = {"root"};
        t.steps.push_back(mid);
        join.dependencies.push_back(mid.name);
    }
    t.steps.push_back(join);
    return tasker::validate_template(std::move(t)).value();
}

/// Per-hop latencies read off a task's history: orchestrator -> worker is a step's
/// `enqueued` to its claim (`in_progress`); worker -> orchestrator is a recorded result
/// (`enqueued_for_orchestration`) to its processing (`complete`).
struct hop_samples {
    std::vector<double> to_worker_us;
    std::vector<double> to_orchestrator_us;
    /// Each task from its first transition (created, its first steps enqueued) to its last
    /// (complete): every hop, handler and commit of the task end to end.
    std::vector<double> task_us;

    void add(const tasker::task_view& t)
    {
        if (!t.task_transitions.empty())
            task_us.push_back(std::chrono::duration<double, std::micro>(t.task_transitions.back().at -
                                                                         t.task_transitions.front().at)
                                  .count());
        std::vector<tasker::time_point> enqueued(t.steps.size()), recorded(t.steps.size());
        for (const auto& tr : t.step_transitions) {
            const auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
            switch (tr.to) {
            case tasker::step_state::enqueued: enqueued[tr.step] = tr.at; break;
            case tasker::step_state::in_progress: to_worker_us.push_back(us(tr.at - enqueued[tr.step])); break;
            case tasker::step_state::enqueued_for_orchestration: recorded[tr.step] = tr.at; break;
            case tasker::step_state::complete: to_orchestrator_us.push_back(us(tr.at - recorded[tr.step])); break;
            default: break;
            }
        }
    }
};

inline double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

inline std::string describe(const hop_samples& h)
{
    std::vector<double> all = h.to_worker_us;
    all.insert(all.end(), h.to_orchestrator_us.begin(), h.to_orchestrator_us.end());
    return fmt::format("per-hop p50 {:.1f} us, p99 {:.1f} us (orchestrator->worker p50 {:.1f} / p99 {:.1f}; "
                       "worker->orchestrator p50 {:.1f} / p99 {:.1f}; {} hops); a whole task p50 {:.1f} us, "
                       "p99 {:.1f} us",
                       percentile(all, 0.5), percentile(all, 0.99), percentile(h.to_worker_us, 0.5),
                       percentile(h.to_worker_us, 0.99), percentile(h.to_orchestrator_us, 0.5),
                       percentile(h.to_orchestrator_us, 0.99), all.size(), percentile(h.task_us, 0.5),
                       percentile(h.task_us, 0.99));
}

} // namespace bench
