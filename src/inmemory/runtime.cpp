#include <tasker/inmemory/runtime.hpp>

#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/detail/choose_served_namespaces.hpp>
#include <tasker/engine/detail/log_exit.hpp>
#include <tasker/engine/detail/wait_for_shutdown_signal.hpp>
#include <tasker/model/task_template.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

namespace tasker {

template class worker<inmemory::store, inmemory::broker>;
template class orchestrator<inmemory::store, inmemory::broker>;
template class client<inmemory::store>;

namespace inmemory {

struct runtime::impl {
    runtime_options options;
    handler_registry handlers;
    broker msgs;
    store tasks;
    client<store> front;
    asio::io_context orchestrator_io;
    asio::io_context worker_io;
    std::optional<orchestrator<store, broker>> orch;
    std::optional<worker<store, broker>> work;
    std::thread orchestrator_thread;
    std::thread worker_thread;
    bool started = false;
    bool stopped = false;

    explicit impl(runtime_options o)
        : options(std::move(o)), msgs(options.clock), tasks(msgs, options.clock, options.store),
          front(tasks, options.client, options.clock)
    {
        if (options.log.enabled(log_level::error)) {
            if (!options.orchestrator.log.enabled(log_level::error))
                options.orchestrator.log = options.log;
            if (!options.worker.log.enabled(log_level::error))
                options.worker.log = options.log;
        }
    }
};

runtime::runtime(runtime_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

runtime::~runtime() { stop(impl_->options.worker.lease); }

handler_registry& runtime::handlers() noexcept { return impl_->handlers; }

result<template_ptr> runtime::register_template(task_template t)
{
    return detail::run_blocking(impl_->front.register_template(std::move(t), impl_->options.templates));
}

result<template_ptr> runtime::load_template(std::string_view yaml)
{
    auto t = tasker::load_template(yaml, impl_->options.templates);
    if (!t)
        return t.error();
    return detail::run_blocking(impl_->tasks.register_template(std::move(*t)));
}

result<template_ptr> runtime::load_template_file(const std::string& path)
{
    auto t = tasker::load_template_file(path, impl_->options.templates);
    if (!t)
        return t.error();
    return detail::run_blocking(impl_->tasks.register_template(std::move(*t)));
}

result<void> runtime::start()
{
    auto& i = *impl_;
    if (i.started)
        return {};
    auto templates = detail::run_blocking(i.tasks.list_templates());
    if (!templates)
        return templates.error();
    if (auto ok = detail::choose_served_namespaces(i.options.worker.namespaces, *templates, i.handlers); !ok)
        return ok;
    i.orch.emplace(i.orchestrator_io.get_executor(), i.tasks, i.msgs, i.options.orchestrator, i.options.clock);
    i.work.emplace(i.worker_io.get_executor(), i.tasks, i.msgs, i.handlers, i.options.worker, i.options.clock);
    asio::co_spawn(i.orchestrator_io, i.orch->run(), detail::log_exit(i.options.log, "orchestrator"));
    asio::co_spawn(i.worker_io, i.work->run(), detail::log_exit(i.options.log, "worker"));
    i.orchestrator_thread = std::thread([&io = i.orchestrator_io] { io.run(); });
    i.worker_thread = std::thread([&io = i.worker_io] { io.run(); });
    i.started = true;
    return {};
}

void runtime::stop(duration grace)
{
    auto& i = *impl_;
    if (!i.started || i.stopped)
        return;
    i.stopped = true;
    i.work->stop(grace);
    i.orch->stop();
    i.worker_thread.join();
    i.orchestrator_thread.join();
}

void runtime::run_until_signal(duration grace)
{
    detail::wait_for_shutdown_signal(impl_->options.log, grace);
    stop(grace);
}

result<task_created> runtime::submit(task_request r) { return detail::run_blocking(impl_->front.submit(std::move(r))); }

result<std::vector<task_created>> runtime::submit_batch(std::vector<task_request> rs)
{
    return detail::run_blocking(impl_->front.submit_batch(std::move(rs)));
}

result<task_state> runtime::cancel(const task_id& id) { return detail::run_blocking(impl_->front.cancel(id)); }

result<task_state> runtime::act(const task_id& id, operator_action a, change_origin who)
{
    return detail::run_blocking(impl_->front.act(id, std::move(a), std::move(who)));
}

result<task_view> runtime::get(const task_id& id) { return impl_->tasks.get_task_sync(id); }

result<task_page> runtime::list(task_filter filter) { return impl_->tasks.list_tasks_sync(filter); }

result<task_analytics> runtime::analytics(const analytics_query& q) { return impl_->tasks.analytics_sync(q); }

result<task_view> runtime::wait(const task_id& id, duration timeout)
{
    return detail::run_blocking(impl_->front.wait_until_finished(id, impl_->options.clock.now() + timeout));
}

store& runtime::task_store() noexcept { return impl_->tasks; }
broker& runtime::message_broker() noexcept { return impl_->msgs; }
const any_clock& runtime::clock() const noexcept { return impl_->options.clock; }

worker<store, broker>::counters runtime::worker_stats() const
{
    return impl_->work ? impl_->work->stats() : worker<store, broker>::counters{};
}

} // namespace inmemory
} // namespace tasker
