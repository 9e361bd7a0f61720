#pragma once

#include <tasker/detail/outage_backoff.hpp>
#include <tasker/engine/detail/retry_transient.hpp>
#include <tasker/engine/detail/wait_for_messages.hpp>
#include <tasker/engine/orchestrator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace tasker {

template <task_store Store, message_broker Broker>
orchestrator<Store, Broker>::orchestrator(asio::any_io_executor ex, Store& store, Broker& broker,
                                          orchestrator_config config, any_clock clock)
    : strand_(asio::make_strand(std::move(ex))), store_(store), broker_(broker), config_(std::move(config)),
      clock_(std::move(clock))
{
    config_.batch_size = std::max<std::size_t>(config_.batch_size, 1);
    config_.staleness.batch = std::clamp<std::size_t>(config_.staleness.batch, 1, 10000);
    config_.retention.max_batches = std::max<std::size_t>(config_.retention.max_batches, 1);
}

template <task_store Store, message_broker Broker>
void orchestrator<Store, Broker>::stop()
{
    asio::dispatch(strand_, [this] {
        stopping_ = true;
        stop_.notify_all();
    });
}

template <task_store Store, message_broker Broker>
awaitable<void> orchestrator<Store, Broker>::sleep_for(duration d)
{
    using namespace asio::experimental::awaitable_operators;
    const auto seen = stop_.version();
    if (!stopping_)
        co_await (clock_.wait_until(clock_.now() + d) || stop_.wait(time_point::max(), seen));
}

template <task_store Store, message_broker Broker>
awaitable<result<void>> orchestrator<Store, Broker>::run()
{
    // A coroutine resumes on the executor it was spawned on: run the body on the strand.
    co_return co_await asio::co_spawn(strand_, run_on_strand(), asio::use_awaitable);
}

template <task_store Store, message_broker Broker>
awaitable<result<void>> orchestrator<Store, Broker>::run_on_strand()
{
    const queue_name q = orchestration_queue();
    // Named, not temporaries inside the co_await (see tasker/asio.hpp).
    auto ensure = [&] { return broker_.ensure_queue(q); };
    auto pause = [this](duration d) { return sleep_for(d); };
    auto stopped = [this] { return stopping_; };
    const std::string who = "orchestrator=" + config_.name;
    if (auto ok = co_await detail::retry_transient(std::move(ensure), pause, std::move(stopped), config_.log, who,
                                                   "ensure_queue");
        !ok)
        co_return stopping_ ? result<void>{} : ok.error(); // stopped while waiting: a clean stop
    if (stopping_)
        co_return result<void>{};
    if (auto ok = check_lifecycle_defaults(config_.staleness.defaults); !ok)
        co_return ok.error();
    if (auto ok = check_retention(config_.retention.pass); config_.retention.interval > duration::zero() && !ok)
        co_return ok.error();
    config_.log.info("orchestrator={} event=started", config_.name);
    using namespace asio::experimental::awaitable_operators;
    co_await (serve(q) && watch_staleness() && keep_retention());
    config_.log.info("orchestrator={} event=stopped", config_.name);
    co_return result<void>{};
}

template <task_store Store, message_broker Broker>
awaitable<result<std::vector<stale_task>>> orchestrator<Store, Broker>::sweep_stale_once()
{
    staleness_sweep sweep;
    sweep.defaults = config_.staleness.defaults;
    sweep.limit = config_.staleness.batch;
    sweep.dry_run = config_.staleness.dry_run;
    sweep.origin = change_origin{"orchestrator:" + config_.name, {}, nullptr};
    if (config_.staleness.use_orchestrator_clock)
        sweep.as_of = clock_.now();
    auto found = co_await store_.sweep_stale(std::move(sweep));
    if (!found) {
        config_.log.warn("orchestrator={} event=staleness_failed error=\"{}\"", config_.name, found.error().what());
        co_return found;
    }
    for (const auto& f : *found)
        config_.log.info("orchestrator={} event={} task={} template={} state={} limit={} reason=\"{}\"", config_.name,
                         f.acted ? "task_expired" : (config_.staleness.dry_run ? "would_expire" : "task_stale"),
                         f.task.to_string(), f.key.to_string(), to_string(f.state), to_string(f.verdict.limit),
                         f.verdict.reason());
    co_return found;
}

template <task_store Store, message_broker Broker>
awaitable<result<retention_report>> orchestrator<Store, Broker>::purge_finished_once()
{
    retention_report total;
    for (std::size_t batch = 0; batch < config_.retention.max_batches && !stopping_; ++batch) {
        retention_pass pass = config_.retention.pass;
        if (config_.retention.use_orchestrator_clock)
            pass.as_of = clock_.now();
        auto done = co_await store_.purge_finished(std::move(pass));
        if (!done) {
            config_.log.warn("orchestrator={} event=retention_failed error=\"{}\"", config_.name, done.error().what());
            co_return done.error();
        }
        total.removed += done->removed;
        total.messages += done->messages;
        total.more = done->more;
        if (!done->more)
            break;
    }
    if (total.removed > 0 || total.messages > 0)
        config_.log.info("orchestrator={} event=tasks_retired mode={} tasks={} messages={}", config_.name,
                         to_string(config_.retention.pass.mode), total.removed, total.messages);
    co_return total;
}

template <task_store Store, message_broker Broker>
awaitable<void> orchestrator<Store, Broker>::keep_retention()
{
    const auto every = config_.retention.interval;
    if (every <= duration::zero())
        co_return;
    while (!stopping_) {
        co_await sleep_for(every);
        if (!stopping_)
            co_await purge_finished_once();
    }
}

template <task_store Store, message_broker Broker>
awaitable<void> orchestrator<Store, Broker>::watch_staleness()
{
    const auto every = config_.staleness.interval;
    if (every <= duration::zero())
        co_return;
    while (!stopping_) {
        co_await sleep_for(every);
        // Passes that fill their batch run again at once: a backlog drains without waiting.
        while (!stopping_) {
            auto found = co_await sweep_stale_once();
            if (!found || found->size() < config_.staleness.batch || config_.staleness.dry_run ||
                std::none_of(found->begin(), found->end(), [](const stale_task& f) { return f.acted; }))
                break;
        }
    }
}

template <task_store Store, message_broker Broker>
awaitable<void> orchestrator<Store, Broker>::serve(queue_name q)
{
    detail::outage_backoff backoff;
    // A read that took less than a batch emptied the queue: wait (which returns at once if
    // something came meanwhile) instead of reading again, a statement that would find nothing.
    bool drained = false;
    while (!stopping_) {
        if (drained) {
            drained = false;
            co_await detail::wait_for_messages(broker_, q, clock_.now() + config_.poll_interval, stop_, stopping_);
            continue;
        }
        auto pass = co_await read_and_process(q);
        if (!pass) {
            co_await sleep_for(backoff.next());
            continue;
        }
        backoff.reset();
        drained = pass->read < config_.batch_size;
        if (pass->read == 0)
            continue;
        ++batches_;
        messages_ += pass->read;
        if (pass->to_ack.empty())
            continue;
        if (auto acked = co_await broker_.ack(q, std::move(pass->to_ack)); !acked)
            config_.log.warn("orchestrator={} event=ack_failed error=\"{}\"", config_.name, acked.error().what());
    }
}

template <task_store Store, message_broker Broker>
awaitable<result<typename orchestrator<Store, Broker>::processed>> orchestrator<Store, Broker>::read_and_process(
    queue_name q)
{
    processed out;
    if constexpr (queue_reading_store<Store, Broker>) {
        if (store_.reads_queues()) {
            // Read, pass and archive commit together: on failure nothing was read, nothing is
            // leased; on success nothing is left to ack.
            auto read = co_await store_.process_queued(q, config_.batch_size, config_.lease);
            if (!read) {
                config_.log.warn("orchestrator={} event=process_failed error=\"{}\"", config_.name,
                                 read.error().what());
                co_return read.error();
            }
            out.read = read->size();
            co_return out;
        }
    }
    auto batch = co_await broker_.read(q, config_.batch_size, config_.lease);
    if (!batch) {
        config_.log.warn("orchestrator={} event=read_failed error=\"{}\"", config_.name, batch.error().what());
        co_return batch.error();
    }
    out.read = batch->size();
    if (batch->empty())
        co_return out;
    std::vector<message> events;
    for (const auto& d : *batch) {
        events.push_back(d.msg);
        out.to_ack.push_back(d.id);
    }
    // Processing is idempotent (late and duplicate events decide nothing): while the store is
    // unreachable it is tried again as long as the batch is leased to us, so a database
    // restart costs its outage, not a lease.
    const auto leased_until = clock_.now() + config_.lease;
    auto apply = [this, &events] { return store_.orchestrate(events); };
    auto pause = [this](duration d) { return sleep_for(d); };
    auto lease_over = [this, leased_until] { return stopping_ || clock_.now() >= leased_until; };
    auto done = co_await detail::retry_transient(std::move(apply), pause, std::move(lease_over), config_.log,
                                                 "orchestrator=" + config_.name, "orchestrate");
    if (!done) {
        // Not committed: the messages come back when their lease ends.
        config_.log.warn("orchestrator={} event=process_failed messages={} error=\"{}\"", config_.name,
                         events.size(), done.error().what());
        co_return done.error();
    }
    co_return out;
}

} // namespace tasker
