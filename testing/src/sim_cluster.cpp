#include <tasker/testing/sim_cluster.hpp>

#include <tasker/detail/run_blocking.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <stdexcept>

namespace tasker {

template class worker<testing::killable_store<inmemory::store>, testing::fake_broker<>>;
template class orchestrator<testing::killable_store<inmemory::store>, testing::fake_broker<>>;

namespace testing {

/// One simulated process: its own view of the store, and the engine component on it.
struct sim_cluster::process {
    std::size_t slot = 0;
    sim_store view;
    handler_registry handlers; // the cluster's, each wrapped to say which worker runs it
    std::unique_ptr<sim_worker> work;
    std::unique_ptr<sim_orchestrator> orch;

    explicit process(inmemory::store& s) : view(s) {}
};

sim_cluster::sim_cluster(cluster_options options) : options_(std::move(options))
{
    options_.worker.execution = handler_execution::inline_on_worker;
    options_.store.seed = options_.seed;
    broker_ = std::make_unique<fake_broker<>>(any_clock::ref(clock_), options_.seed ^ 0x9e3779b97f4a7c15ULL);
    broker_->randomly(options_.faults);
    store_ = std::make_unique<inmemory::store>(*broker_, any_clock::ref(clock_), options_.store);
    client_ = std::make_unique<client<inmemory::store>>(*store_, client_options{}, any_clock::ref(clock_));
}

sim_cluster::~sim_cluster()
{
    // Stop everything and let the coroutines wind down before the parts go away.
    for (auto& p : workers_)
        if (p && p->work)
            p->work->stop(duration::zero());
    for (auto& p : orchestrators_)
        p->orch->stop();
    for (int i = 0; i < 1000 && io_.poll() > 0; ++i) {
    }
    io_.stop();
}

result<template_ptr> sim_cluster::add_template(std::string_view yaml)
{
    auto t = load_template(yaml, options_.templates);
    if (!t)
        return t.error();
    return store_->register_template_sync(std::move(*t));
}

result<template_ptr> sim_cluster::add_template(task_template t)
{
    auto v = validate_template(std::move(t), options_.templates);
    if (!v)
        return v.error();
    return store_->register_template_sync(std::move(*v));
}

void sim_cluster::spawn_worker(std::size_t i)
{
    auto p = std::make_unique<process>(*store_);
    auto config = options_.worker;
    config.name = "worker-" + std::to_string(i);
    p->slot = i;
    for (const auto& name : handlers_.names())
        p->handlers.add(name, [this, self = p.get(), h = *handlers_.find(name)](step_context& ctx) -> step_result {
            // A killed process runs nothing more, even the rest of a batch it had claimed.
            if (self->view.dead())
                return retryable_error("this simulated worker was killed");
            current_worker_ = self;
            auto r = h(ctx);
            current_worker_ = nullptr;
            return r;
        });
    p->work = std::make_unique<sim_worker>(io_.get_executor(), p->view, *broker_, p->handlers, config,
                                           any_clock::ref(clock_));
    asio::co_spawn(io_, p->work->run(), asio::detached);
    workers_[i] = std::move(p);
}

result<void> sim_cluster::start()
{
    if (started_)
        return {};
    auto templates = detail::run_blocking(store_->list_templates()).value();
    if (options_.worker.namespaces.empty()) {
        for (const auto& t : templates)
            if (std::find(options_.worker.namespaces.begin(), options_.worker.namespaces.end(), t->namespace_name) ==
                options_.worker.namespaces.end())
                options_.worker.namespaces.push_back(t->namespace_name);
    }
    for (const auto& t : templates)
        if (auto ok = handlers_.check(*t); !ok)
            return ok.error();
    if (options_.worker.namespaces.empty())
        return error{errc::template_not_found, "add at least one template before start()"};

    for (std::size_t i = 0; i < options_.orchestrators; ++i) {
        auto p = std::make_unique<process>(*store_);
        auto config = options_.orchestrator;
        config.name = "orchestrator-" + std::to_string(i);
        p->orch = std::make_unique<sim_orchestrator>(io_.get_executor(), p->view, *broker_, config,
                                                     any_clock::ref(clock_));
        asio::co_spawn(io_, p->orch->run(), asio::detached);
        orchestrators_.push_back(std::move(p));
    }
    workers_.resize(options_.workers);
    for (std::size_t i = 0; i < options_.workers; ++i)
        spawn_worker(i);
    started_ = true;
    started_at_ = clock_.now();
    run_ready();
    return {};
}

result<task_created> sim_cluster::submit(task_request r)
{
    // The in-memory store completes without suspending: no need to run the io_context.
    return detail::run_blocking(client_->submit(std::move(r)));
}

result<task_state> sim_cluster::act(const task_id& id, operator_action a)
{
    return store_->apply_action_sync(id, a, change_origin{"operator:simulation", {}, nullptr});
}

result<task_view> sim_cluster::get(const task_id& id) const { return store_->get_task_sync(id); }

std::size_t sim_cluster::step_once()
{
    const std::size_t ran = io_.poll_one();
    if (ran) {
        ++events_;
        for (const auto& o : observers_)
            o();
    }
    return ran;
}

void sim_cluster::run_ready()
{
    while (step_once() > 0) {
    }
}

bool sim_cluster::run_until(const std::function<bool()>& done, duration limit)
{
    const time_point end = clock_.now() + limit;
    while (true) {
        while (step_once() > 0)
            if (done())
                return true;
        if (done())
            return true;
        // Nothing can run now: jump to the next timer, if there is one in range.
        const auto next = clock_.next_timer();
        if (!next || *next > end)
            return false;
        clock_.set(*next);
    }
}

bool sim_cluster::run_until_finished(const task_id& id, duration limit)
{
    return run_until(
        [&] {
            auto t = store_->get_task_sync(id);
            return t && is_terminal(t->state);
        },
        limit);
}

void sim_cluster::kill_worker(std::size_t i)
{
    if (i >= workers_.size() || !workers_[i])
        throw std::out_of_range("sim_cluster::kill_worker: no worker " + std::to_string(i));
    auto& p = *workers_[i];
    p.view.kill();
    p.work->stop(duration::zero());
    dead_.push_back(std::move(workers_[i]));
}

std::size_t sim_cluster::kill_current_worker()
{
    if (!current_worker_)
        throw std::logic_error("sim_cluster::kill_current_worker: no handler is running");
    const auto i = current_worker_->slot;
    if (!current_worker_->view.dead())
        kill_worker(i);
    return i;
}

void sim_cluster::restart_worker(std::size_t i)
{
    if (i >= workers_.size() || workers_[i])
        throw std::logic_error("sim_cluster::restart_worker: worker " + std::to_string(i) + " is alive");
    spawn_worker(i);
}

} // namespace testing
} // namespace tasker
