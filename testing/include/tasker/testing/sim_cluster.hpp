#pragma once

#include <tasker/engine/client.hpp>
#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/error.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/store.hpp>
#include <tasker/testing/fake_broker.hpp>
#include <tasker/testing/killable_store.hpp>
#include <tasker/testing/manual_clock.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace tasker {
// Compiled once in the testing library.
extern template class worker<testing::killable_store<inmemory::store>, testing::fake_broker<>>;
extern template class orchestrator<testing::killable_store<inmemory::store>, testing::fake_broker<>>;
} // namespace tasker

namespace tasker::testing {

using sim_store = killable_store<inmemory::store>;
using sim_worker = worker<sim_store, fake_broker<>>;
using sim_orchestrator = orchestrator<sim_store, fake_broker<>>;

/// Worker settings of a simulated cluster unless told otherwise.
inline worker_config sim_worker_defaults()
{
    worker_config c;
    c.concurrency = 16;
    c.batch_size = 8;
    c.lease = std::chrono::seconds(30);
    return c;
}

inline orchestrator_config sim_orchestrator_defaults()
{
    orchestrator_config c;
    c.batch_size = 16;
    return c;
}

struct cluster_options {
    std::size_t orchestrators = 1;
    std::size_t workers = 1;
    /// Seeds ids, retry jitter and random faults: the same seed replays the same run.
    std::uint64_t seed = 1;
    fault_rates faults{};
    /// Worker settings; handlers always run inline (one thread, deterministic).
    worker_config worker = sim_worker_defaults();
    orchestrator_config orchestrator = sim_orchestrator_defaults();
    template_options templates{};
    inmemory::store_options store{};
};

/// A whole tasker cluster in one thread on virtual time: K orchestrators and M workers on
/// the in-memory store, talking through a `fake_broker`, all driven by a `manual_clock`.
/// `run_until` runs everything that can run now, then jumps virtual time to the next timer,
/// and repeats: hours of retries and leases pass in milliseconds, and the same seed gives
/// the same run, event for event.
class sim_cluster {
public:
    explicit sim_cluster(cluster_options options = {});
    ~sim_cluster();
    sim_cluster(const sim_cluster&) = delete;
    sim_cluster& operator=(const sim_cluster&) = delete;

    handler_registry& handlers() noexcept { return handlers_; }
    manual_clock& clock() noexcept { return clock_; }
    fake_broker<>& broker() noexcept { return *broker_; }
    inmemory::store& store() noexcept { return *store_; }
    const cluster_options& options() const noexcept { return options_; }

    result<template_ptr> add_template(std::string_view yaml);
    result<template_ptr> add_template(task_template t);

    /// Starts the orchestrators and workers (after handlers and templates are in).
    result<void> start();

    result<task_created> submit(task_request r);
    result<task_state> act(const task_id& id, operator_action a);
    result<task_view> get(const task_id& id) const;

    /// Runs until `done()` holds, checking it after every event, jumping virtual time
    /// forward whenever nothing can run. False if virtual time passes `limit` (from now)
    /// or nothing is left to run before `done()` holds.
    bool run_until(const std::function<bool()>& done, duration limit = std::chrono::hours(24 * 30));
    bool run_until_finished(const task_id& id, duration limit = std::chrono::hours(24 * 30));
    /// Runs whatever can run without moving time.
    void run_ready();

    /// Called after every event (one completion handler run); for invariant checks.
    void on_event(std::function<void()> observer) { observers_.push_back(std::move(observer)); }

    /// Kills worker `i` abruptly: its store operations fail from now on, so the step it
    /// holds is neither recorded nor acked and comes back when its lease ends.
    void kill_worker(std::size_t i);
    /// Kills the worker running the current handler: call it from inside a handler to
    /// crash a worker in the middle of a step. Returns the worker's slot, for `restart_worker`.
    std::size_t kill_current_worker();
    /// Starts a fresh worker in slot `i` (after `kill_worker`).
    void restart_worker(std::size_t i);
    std::size_t worker_count() const noexcept { return workers_.size(); }

    /// Events run and virtual time elapsed since `start()`.
    std::uint64_t events() const noexcept { return events_; }
    duration elapsed() const { return clock_.now() - started_at_; }

private:
    void spawn_worker(std::size_t i);
    std::size_t step_once();

    cluster_options options_;
    manual_clock clock_;
    asio::io_context io_;
    std::unique_ptr<fake_broker<>> broker_;
    std::unique_ptr<inmemory::store> store_;
    std::unique_ptr<client<inmemory::store>> client_;
    handler_registry handlers_;
    struct process;
    std::vector<std::unique_ptr<process>> orchestrators_;
    std::vector<std::unique_ptr<process>> workers_;
    std::vector<std::unique_ptr<process>> dead_; // kept to the end: their coroutines may still run
    process* current_worker_ = nullptr;          // the worker whose handler is running
    std::vector<std::function<void()>> observers_;
    std::uint64_t events_ = 0;
    time_point started_at_{};
    bool started_ = false;
};

} // namespace tasker::testing
