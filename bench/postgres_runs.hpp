#pragma once
// The two measurements of a diamond run on a postgres::runtime: a burst (steps/s) and tasks one
// at a time (per-hop latency from the stored history). Shared by the PostgreSQL benchmarks.
#include "diamond_shape.hpp"

#include <tasker/postgres/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

template <class B>
tasker::task_view finish(tasker::postgres::runtime<B>& rt, const tasker::task_id& id)
{
    auto t = rt.wait(id, std::chrono::minutes(5)).value();
    if (t.state != tasker::task_state::complete)
        throw std::runtime_error("a benchmark task ended " + std::string(to_string(t.state)));
    return t;
}

inline tasker::task_request diamond_request(const tasker::task_template& tmpl)
{
    return tasker::task_request{{"bench", tmpl.name, std::nullopt}, tasker::json::object{}, {}, {}};
}

struct burst_figures {
    double seconds = 0;     ///< submission to the last task's end
    double submitting = 0;  ///< submission alone
    double steps_per_second = 0;
};

/// `tasks` tasks of `tmpl` submitted at once (one by one, or `submit_batch` per call), each
/// waited for to complete.
template <class B>
burst_figures burst(tasker::postgres::runtime<B>& rt, const tasker::task_template& tmpl, int tasks, int submit_batch = 1)
{
    using steady = std::chrono::steady_clock;
    const auto start = steady::now();
    std::vector<tasker::task_id> ids;
    ids.reserve(static_cast<std::size_t>(tasks));
    if (submit_batch <= 1) {
        for (int i = 0; i < tasks; ++i)
            ids.push_back(rt.submit(diamond_request(tmpl)).value().id);
    } else {
        for (int i = 0; i < tasks; i += submit_batch) {
            std::vector<tasker::task_request> batch;
            for (int k = i; k < std::min(tasks, i + submit_batch); ++k)
                batch.push_back(diamond_request(tmpl));
            for (const auto& created : rt.submit_batch(std::move(batch)).value())
                ids.push_back(created.id);
        }
    }
    burst_figures f;
    f.submitting = std::chrono::duration<double>(steady::now() - start).count();
    for (const auto& id : ids)
        finish(rt, id);
    f.seconds = std::chrono::duration<double>(steady::now() - start).count();
    f.steps_per_second = static_cast<double>(tasks) * static_cast<double>(tmpl.steps.size()) / f.seconds;
    return f;
}

/// `tasks` tasks of `tmpl`, each submitted once the one before it completed.
template <class B>
hop_samples one_at_a_time(tasker::postgres::runtime<B>& rt, const tasker::task_template& tmpl, int tasks)
{
    hop_samples hops;
    for (int i = 0; i < tasks; ++i)
        hops.add(finish(rt, rt.submit(diamond_request(tmpl)).value().id));
    return hops;
}

} // namespace bench
