#pragma once

#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/engine/detail/choose_served_namespaces.hpp>
#include <tasker/engine/detail/log_exit.hpp>
#include <tasker/engine/detail/wait_for_shutdown_signal.hpp>
#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/logger.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/postgres/outbox_relay.hpp>
#include <tasker/postgres/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace tasker::postgres {

struct runtime_options {
    /// The database (migrated with tasker's migrations).
    std::string url;
    std::size_t store_threads = 4;
    /// What this process runs: a deployment may split them over processes and machines.
    bool run_orchestrator = true;
    bool run_worker = true;
    /// Empty `worker.namespaces` means every namespace with a registered template at `start()`.
    worker_config worker{};
    orchestrator_config orchestrator{};
    client_options client{};
    template_options templates{};
    outbox_relay_config relay{}; ///< with the outbox route (`url` is filled in)
    /// How the store sends messages; unset: `route_for<B>`. Set it when `B` is `any_broker`
    /// holding a PGMQ broker (the outbox works with any broker, PGMQ included, only slower).
    std::optional<message_route> route;
    logger log{};
    /// The clock of the orchestrator's timers (staleness passes): a test's virtual time, with
    /// `orchestrator.staleness.use_orchestrator_clock`. Store and workers keep real time.
    any_clock orchestrator_clock{};
};

/// One tasker process on PostgreSQL with broker `B` (tasker::pgmq::broker,
/// tasker::rabbitmq::broker, or any other `message_broker`): the store, the broker, and the
/// orchestrator and/or worker on threads of their own — plus an outbox relay when `B` is not
/// PGMQ, so state and messages stay atomic (DESIGN "Atomic state + message"). Start as many as
/// you like on as many machines: they share the work through the database and the broker.
/// The same surface as `inmemory::runtime`: swapping backends is changing a type.
///
/// @par Example
/// @code
/// tasker::postgres::runtime<tasker::rabbitmq::broker> rt({.url = db}, tasker::rabbitmq::broker_config{.url = amqp});
/// rt.handlers().add("hello.greet", greet);
/// rt.load_template_file("hello.yaml").value();
/// rt.start().value();
/// rt.run_until_signal();
/// @endcode
template <message_broker B>
class runtime {
public:
    using broker_type = B;
    using orchestrator_type = orchestrator<store, B>;
    using worker_type = worker<store, B>;

    /// `broker_args` construct the broker (e.g. its config).
    template <class... BrokerArgs>
    explicit runtime(runtime_options options, BrokerArgs&&... broker_args)
        : options_(std::move(options)),
          tasks_({.url = options_.url,
                  .threads = options_.store_threads,
                  .route = options_.route.value_or(route_for<B>),
                  .creation = options_.templates.creation}),
          messages_(std::forward<BrokerArgs>(broker_args)...), front_(tasks_, options_.client)
    {
        if (options_.log.enabled(log_level::error)) {
            if (!options_.orchestrator.log.enabled(log_level::error))
                options_.orchestrator.log = options_.log;
            if (!options_.worker.log.enabled(log_level::error))
                options_.worker.log = options_.log;
            if (!options_.relay.log.enabled(log_level::error))
                options_.relay.log = options_.log;
        }
        options_.relay.url = options_.url;
    }

    ~runtime() { stop(options_.worker.lease); }
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    /// Register every handler before `start()`.
    handler_registry& handlers() noexcept { return handlers_; }

    result<template_ptr> load_template(std::string_view yaml)
    {
        auto t = tasker::load_template(yaml, options_.templates);
        if (!t)
            return t.error();
        return register_template(std::move(*t));
    }

    result<template_ptr> load_template_file(const std::string& path)
    {
        auto t = tasker::load_template_file(path, options_.templates);
        if (!t)
            return t.error();
        return register_template(std::move(*t));
    }

    result<template_ptr> register_template(task_template t)
    {
        return detail::run_blocking(front_.register_template(std::move(t), options_.templates));
    }

    /// Checks that every template of the served namespaces has its handlers
    /// (`errc::unknown_handler`), then starts the threads.
    result<void> start()
    {
        if (started_)
            return {};
        if (options_.run_worker) {
            auto templates = detail::run_blocking(tasks_.list_templates());
            if (!templates)
                return templates.error();
            if (auto ok = detail::choose_served_namespaces(options_.worker.namespaces, *templates, handlers_); !ok)
                return ok;
        }
        if (tasks_.config().route == message_route::outbox) {
            relay_.emplace(options_.relay, messages_);
            relay_->start();
        }
        if (options_.run_orchestrator) {
            orch_.emplace(orchestrator_io_.get_executor(), tasks_, messages_, options_.orchestrator,
                          options_.orchestrator_clock);
            asio::co_spawn(orchestrator_io_, orch_->run(), detail::log_exit(options_.log, "orchestrator"));
            orchestrator_thread_ = std::thread([this] { orchestrator_io_.run(); });
        }
        if (options_.run_worker) {
            work_.emplace(worker_io_.get_executor(), tasks_, messages_, handlers_, options_.worker);
            asio::co_spawn(worker_io_, work_->run(), detail::log_exit(options_.log, "worker"));
            worker_thread_ = std::thread([this] { worker_io_.run(); });
        }
        started_ = true;
        return {};
    }

    /// Stops reading new work, lets running steps finish within `grace`, joins the threads;
    /// the relay publishes what they committed last.
    void stop(duration grace = std::chrono::seconds(30))
    {
        if (!started_ || stopped_)
            return;
        stopped_ = true;
        if (work_)
            work_->stop(grace);
        if (orch_)
            orch_->stop();
        if (worker_thread_.joinable())
            worker_thread_.join();
        if (orchestrator_thread_.joinable())
            orchestrator_thread_.join();
        if (relay_)
            relay_->stop();
    }

    /// Blocks until SIGINT or SIGTERM, then stops with `grace`.
    void run_until_signal(duration grace = std::chrono::seconds(30))
    {
        detail::wait_for_shutdown_signal(options_.log, grace);
        stop(grace);
    }

    result<task_created> submit(task_request r) { return detail::run_blocking(front_.submit(std::move(r))); }
    /// Many tasks at once, all or none, in one transaction (see `client::submit_batch`).
    result<std::vector<task_created>> submit_batch(std::vector<task_request> rs)
    {
        return detail::run_blocking(front_.submit_batch(std::move(rs)));
    }
    result<task_state> cancel(const task_id& id) { return detail::run_blocking(front_.cancel(id)); }
    result<task_state> act(const task_id& id, operator_action a, change_origin who)
    {
        return detail::run_blocking(front_.act(id, std::move(a), std::move(who)));
    }
    result<task_view> get(const task_id& id) { return detail::run_blocking(tasks_.get_task(id)); }
    /// A page of tasks, newest first (see `client::list`).
    result<task_page> list(task_filter filter) { return detail::run_blocking(tasks_.list_tasks(std::move(filter))); }
    /// Analytics over a window (see `client::analytics`).
    result<task_analytics> analytics(analytics_query q) { return detail::run_blocking(tasks_.analytics(std::move(q))); }
    /// The task once it is in a terminal state; `errc::timeout` after `timeout`.
    result<task_view> wait(const task_id& id, duration timeout)
    {
        return detail::run_blocking(front_.wait_until_finished(id, std::chrono::system_clock::now() + timeout));
    }

    store& task_store() noexcept { return tasks_; }
    B& message_broker() noexcept { return messages_; }

    typename worker_type::counters worker_stats() const
    {
        return work_ ? work_->stats() : typename worker_type::counters{};
    }

private:
    runtime_options options_;
    handler_registry handlers_;
    store tasks_;
    B messages_;
    client<store> front_;
    std::optional<outbox_relay<B>> relay_;
    asio::io_context orchestrator_io_;
    asio::io_context worker_io_;
    std::optional<orchestrator_type> orch_;
    std::optional<worker_type> work_;
    std::thread orchestrator_thread_;
    std::thread worker_thread_;
    bool started_ = false;
    bool stopped_ = false;
};

} // namespace tasker::postgres
