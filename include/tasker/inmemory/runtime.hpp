#pragma once

#include <tasker/clock.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/error.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/store.hpp>
#include <tasker/logger.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace tasker {

// Compiled once in the library (src/inmemory/runtime.cpp).
extern template class worker<inmemory::store, inmemory::broker>;
extern template class orchestrator<inmemory::store, inmemory::broker>;
extern template class client<inmemory::store>;

namespace inmemory {

struct runtime_options {
    /// The worker's settings. Empty `namespaces` means every namespace with a registered
    /// template when `start()` is called.
    worker_config worker{};
    orchestrator_config orchestrator{};
    client_options client{};
    store_options store{};
    template_options templates{};
    any_clock clock{};
    logger log{};
};

/// tasker embedded in one process, no server: the in-memory store and broker, an
/// orchestrator on one thread and a worker on another (its handlers on their own pool).
/// Everything else in tasker works the same on it; swap in PostgreSQL by composing
/// `orchestrator`/`worker` with another store and broker.
///
/// @par Example
/// @code
/// tasker::inmemory::runtime rt;
/// rt.handlers().add("hello.greet", [](tasker::step_context& ctx) {
///     return tasker::success({{"greeting", "hello " + std::string(ctx.context().at("name").as_string())}});
/// });
/// rt.load_template_file("hello.yaml").value();
/// rt.start().value();
/// auto id = rt.submit({{"examples", "hello"}, {{"name", "world"}}}).value().id;
/// auto task = rt.wait(id, std::chrono::seconds(10)).value(); // task.state == task_state::complete
/// @endcode
class runtime {
public:
    explicit runtime(runtime_options options = {});
    ~runtime(); ///< stops (with the worker's grace period) and joins its threads
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    /// Register every handler before `start()`.
    handler_registry& handlers() noexcept;

    result<template_ptr> load_template(std::string_view yaml);
    result<template_ptr> load_template_file(const std::string& path);
    result<template_ptr> register_template(task_template t);

    /// Checks that every template of the served namespaces has its handlers
    /// (`errc::unknown_handler`), then starts the orchestrator and worker threads.
    result<void> start();

    /// Stops reading new work, lets running steps finish within `grace`, joins the threads.
    void stop(duration grace = std::chrono::seconds(30));

    /// Blocks until SIGINT or SIGTERM, then stops with `grace` (see `stop`). For programs
    /// whose only job is to run workflows until told to quit.
    void run_until_signal(duration grace = std::chrono::seconds(30));

    result<task_created> submit(task_request r);
    /// Many tasks at once, all or none (see `client::submit_batch`).
    result<std::vector<task_created>> submit_batch(std::vector<task_request> rs);
    result<task_state> cancel(const task_id& id);
    result<task_state> act(const task_id& id, operator_action a, change_origin who);
    result<task_view> get(const task_id& id);
    /// A page of tasks, newest first (see `client::list`).
    result<task_page> list(task_filter filter);
    /// Analytics over a window (see `client::analytics`).
    result<task_analytics> analytics(const analytics_query& q);
    /// The task once it is in a terminal state; `errc::timeout` after `timeout`.
    result<task_view> wait(const task_id& id, duration timeout);

    store& task_store() noexcept;
    broker& message_broker() noexcept;
    const any_clock& clock() const noexcept;

    worker<store, broker>::counters worker_stats() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace inmemory
} // namespace tasker
