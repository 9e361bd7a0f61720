#pragma once

#include <tasker/detail/outage_backoff.hpp>
#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/detail/retry_transient.hpp>
#include <tasker/engine/detail/step_watch.hpp>
#include <tasker/engine/detail/wait_for_messages.hpp>
#include <tasker/engine/worker.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <exception>

namespace tasker {

/// One step running on the handler pool. Shared with the pool thread, which may finish
/// after the worker stopped waiting for it.
template <task_store Store, message_broker Broker>
struct worker<Store, Broker>::job {
    step_claim claim;
    std::stop_source stop;
    std::atomic<bool> done{false};
    step_outcome outcome;
    detail::waiter_list finished;
};

template <task_store Store, message_broker Broker>
worker<Store, Broker>::worker(asio::any_io_executor ex, Store& store, Broker& broker, const handler_registry& handlers,
                              worker_config config, any_clock clock)
    : strand_(asio::make_strand(std::move(ex))), store_(store), broker_(broker), handlers_(handlers),
      config_(std::move(config)), clock_(std::move(clock))
{
    config_.concurrency = std::max<std::size_t>(config_.concurrency, 1);
    config_.batch_size = std::max<std::size_t>(config_.batch_size, 1);
    if (config_.heartbeat_interval <= duration::zero())
        config_.heartbeat_interval = config_.lease / 3;
    if (config_.execution == handler_execution::thread_pool)
        pool_.emplace(config_.handler_threads ? config_.handler_threads : config_.concurrency);
}

template <task_store Store, message_broker Broker>
worker<Store, Broker>::~worker()
{
    if (pool_)
        pool_->join(); // handlers still running after a forced stop finish here
}

template <task_store Store, message_broker Broker>
auto worker<Store, Broker>::stats() const -> counters
{
    return {claimed_.load(), succeeded_.load(), failed_.load(), timed_out_.load(), abandoned_.load()};
}

template <task_store Store, message_broker Broker>
void worker<Store, Broker>::stop(duration grace)
{
    asio::dispatch(strand_, [this, grace] {
        if (stopping_)
            return;
        stopping_ = true;
        config_.log.info("worker={} event=stopping running={} grace_ms={}", config_.name, running_,
                         std::chrono::duration_cast<milliseconds>(grace).count());
        stop_.notify_all();
        asio::co_spawn(
            strand_,
            [this, grace]() -> awaitable<void> {
                using namespace asio::experimental::awaitable_operators;
                const auto deadline = clock_.now() + grace;
                while (running_ > 0 && clock_.now() < deadline) {
                    const auto seen = idle_.version();
                    if (running_ == 0)
                        break;
                    co_await (idle_.wait(time_point::max(), seen) || clock_.wait_until(deadline));
                }
                if (running_ > 0) {
                    forced_ = true;
                    config_.log.warn("worker={} event=grace_expired abandoning={}", config_.name, running_);
                    for (auto& w : jobs_)
                        if (auto j = w.lock())
                            j->stop.request_stop();
                    force_.notify_all();
                }
            },
            asio::detached);
    });
}

template <task_store Store, message_broker Broker>
awaitable<result<void>> worker<Store, Broker>::run()
{
    // A coroutine resumes on the executor it was spawned on: run the body on the strand.
    co_return co_await asio::co_spawn(strand_, run_on_strand(), asio::use_awaitable);
}

template <task_store Store, message_broker Broker>
awaitable<result<void>> worker<Store, Broker>::run_on_strand()
{
    if (config_.namespaces.empty())
        co_return error{errc::invalid_name, "worker_config.namespaces is empty: nothing to serve"};

    std::vector<queue_name> queues;
    for (const auto& ns : config_.namespaces) {
        auto q = worker_queue(ns);
        if (!q)
            co_return q.error();
        queues.push_back(*q);
    }
    // Waits for a store or broker that is not up yet (named lambdas: see tasker/asio.hpp).
    auto pause = [this](duration d) { return sleep_for(d); };
    auto stopped = [this] { return stopping_; };
    const std::string who = "worker=" + config_.name;
    auto list = [this] { return store_.list_templates(); };
    auto templates = co_await detail::retry_transient(std::move(list), pause, stopped, config_.log, who, "list_templates");
    if (!templates && stopping_)
        co_return result<void>{}; // stopped while waiting for the store: a clean stop
    if (!templates)
        co_return templates.error();
    for (const auto& t : *templates)
        if (std::find(config_.namespaces.begin(), config_.namespaces.end(), t->namespace_name) !=
            config_.namespaces.end())
            if (auto ok = handlers_.check(*t); !ok)
                co_return ok.error();
    for (auto q : queues) {
        auto ensure = [this, q] { return broker_.ensure_queue(q); };
        if (auto ok = co_await detail::retry_transient(std::move(ensure), pause, stopped, config_.log, who, "ensure_queue");
            !ok)
            co_return stopping_ ? result<void>{} : ok.error();
    }
    if (stopping_)
        co_return result<void>{};

    config_.log.info("worker={} event=started queues={} concurrency={}", config_.name, queues.size(),
                     config_.concurrency);
    for (auto q : queues) {
        ++readers_;
        asio::co_spawn(strand_, read_loop(q), asio::detached);
    }
    while (readers_ > 0 || running_ > 0 || recording_) {
        const auto seen = idle_.version();
        if (readers_ == 0 && running_ == 0 && !recording_)
            break;
        co_await idle_.wait(time_point::max(), seen);
    }
    config_.log.info("worker={} event=stopped", config_.name);
    co_return result<void>{};
}

template <task_store Store, message_broker Broker>
awaitable<void> worker<Store, Broker>::sleep_for(duration d)
{
    using namespace asio::experimental::awaitable_operators;
    const auto seen = stop_.version();
    if (!stopping_)
        co_await (clock_.wait_until(clock_.now() + d) || stop_.wait(time_point::max(), seen));
}

template <task_store Store, message_broker Broker>
void worker<Store, Broker>::release_slots(std::size_t n)
{
    running_ -= n;
    slots_.notify_all();
    idle_.notify_all();
}

template <task_store Store, message_broker Broker>
awaitable<void> worker<Store, Broker>::read_loop(queue_name q)
{
    using namespace asio::experimental::awaitable_operators;
    detail::outage_backoff backoff;
    // A read that took less than it asked for emptied the queue: wait (which returns at once
    // if something came meanwhile) instead of reading again, a statement that would find nothing.
    bool drained = false;
    while (!stopping_) {
        if (drained) {
            drained = false;
            co_await detail::wait_for_messages(broker_, q, clock_.now() + config_.poll_interval, stop_, stopping_);
            continue;
        }
        if (running_ >= config_.concurrency) {
            const auto seen = slots_.version();
            const auto stop_seen = stop_.version();
            if (running_ >= config_.concurrency && !stopping_)
                co_await (slots_.wait(time_point::max(), seen) || stop_.wait(time_point::max(), stop_seen));
            continue;
        }
        const std::size_t n = std::min(config_.batch_size, config_.concurrency - running_);
        // One owner token for the batch, kept when the claim is asked again: a claim that
        // committed but whose answer was lost comes back to us rather than answering busy.
        const uuid owner = owners_.next(std::chrono::system_clock::now());
        auto taken = co_await read_and_claim(q, n, owner);
        if (!taken) {
            co_await sleep_for(backoff.next());
            continue;
        }
        backoff.reset();
        auto& batch = taken->deliveries;
        auto& claims = taken->outcomes;
        drained = batch.size() < n;
        if (batch.empty())
            continue;

        std::vector<delivery_id> done;
        std::vector<std::pair<delivery, step_claim>> to_run;
        for (std::size_t k = 0; k < batch.size(); ++k) {
            auto& d = batch[k];
            auto& c = claims[k];
            switch (c.status) {
            case claim_status::claimed:
                // A duplicate of a message whose attempt runs here already (the store gives a
                // claim back to its owner): the running handler answers for both.
                if (!running_attempts_.insert({c.claim.ref.task, c.claim.ref.step, c.claim.attempt}).second) {
                    done.push_back(d.id);
                    break;
                }
                ++claimed_;
                ++running_;
                to_run.emplace_back(std::move(d), std::move(c.claim));
                break;
            case claim_status::busy:
                (void)co_await broker_.nack(q, d.id, c.retry_in);
                break;
            case claim_status::lost:
                config_.log.warn("worker={} task={} step={} attempt={} event=worker_lost", config_.name,
                                 d.msg.task.to_string(), d.msg.step, d.msg.attempt);
                done.push_back(d.id);
                break;
            case claim_status::stale:
            case claim_status::not_found: done.push_back(d.id); break;
            }
        }
        if (!done.empty())
            (void)co_await broker_.ack(q, std::move(done));
        if (to_run.empty())
            continue;
        if (config_.execution == handler_execution::inline_on_worker)
            co_await run_inline(q, std::move(to_run));
        else
            for (auto& [d, c] : to_run)
                asio::co_spawn(strand_, run_on_pool(q, std::move(d), std::move(c)), asio::detached);
    }
    --readers_;
    idle_.notify_all();
}

template <task_store Store, message_broker Broker>
time_point worker<Store, Broker>::deadline_of(const step_claim& claim) const
{
    const auto& t = claim.tmpl->steps[claim.template_step()].timeout;
    return claim.claimed_at + (t ? *t : config_.default_timeout);
}

// A batch worker's checkpoint, from the thread its handler runs on: the store call runs to
// completion there, so the handler goes on only once its progress is durable.
template <task_store Store, message_broker Broker>
result<void> worker<Store, Broker>::write_checkpoint(const step_claim& claim, const batch_checkpoint& progress) const
{
    std::vector<step_checkpoint> one{{claim.ref, claim.attempt, make_json(to_json(progress)), config_.lease}};
    auto accepted = ::tasker::detail::run_blocking(store_.checkpoint_steps(std::move(one)));
    if (!accepted)
        return accepted.error();
    if (accepted->empty() || !accepted->front())
        return error{errc::state_conflict, "attempt " + std::to_string(claim.attempt) + " of step " +
                                               claim.ref.task.to_string() + "#" + std::to_string(claim.ref.step) +
                                               " is no longer this worker's: its checkpoint was not kept"};
    return {};
}

template <task_store Store, message_broker Broker>
step_outcome worker<Store, Broker>::run_handler(const step_claim& claim, time_point deadline, std::stop_token stop) const
{
    step_outcome o{claim.ref, claim.attempt, true, {}, std::nullopt, clock_.now(), {}};
    const auto& step = claim.tmpl->steps[claim.template_step()];
    const step_handler* h = handlers_.find(step.handler.callable);
    if (!h) {
        o.success = false;
        o.failure = step_failure{error_kind::permanent,
                                 "no handler '" + step.handler.callable + "' is registered on worker " + config_.name,
                                 std::nullopt, claim.attempt};
    } else {
        try {
            step_context ctx(claim, deadline, std::move(stop), config_.log,
                             [this, &claim](const batch_checkpoint& p) { return write_checkpoint(claim, p); });
            step_result r = (*h)(ctx);
            if (r.ok() && serialized_size(r.value()) > config_.max_result_bytes) {
                o.success = false;
                o.failure = step_failure{error_kind::permanent,
                                         "step result is " + std::to_string(serialized_size(r.value())) +
                                             " bytes serialised; the limit is " +
                                             std::to_string(config_.max_result_bytes) + " (worker_config.max_result_bytes)",
                                         std::nullopt, claim.attempt};
            } else if (r.ok()) {
                // A result its step's result_schema refuses would only fail again: permanent.
                if (auto checked = check_result(step, r.value()); !checked) {
                    o.success = false;
                    o.failure = step_failure{error_kind::permanent, checked.error().message, std::nullopt,
                                             claim.attempt};
                } else if (!r.value().is_null()) {
                    o.result = make_json(std::move(r.value()));
                }
            } else {
                o.success = false;
                o.failure = step_failure{r.kind(), r.message(), r.retry_after(), claim.attempt};
            }
        } catch (const std::exception& e) {
            o.success = false;
            o.failure = step_failure{error_kind::retryable, std::string("handler threw: ") + e.what(), std::nullopt,
                                     claim.attempt};
        } catch (...) {
            o.success = false;
            o.failure = step_failure{error_kind::retryable, "handler threw a non-standard exception", std::nullopt,
                                     claim.attempt};
        }
    }
    o.finished_at = clock_.now();
    return o;
}

template <task_store Store, message_broker Broker>
awaitable<void> worker<Store, Broker>::record_and_ack(queue_name q, std::vector<delivery_id> ids,
                                                      std::vector<step_outcome> outcomes)
{
    for (const auto& o : outcomes) {
        if (o.success)
            ++succeeded_;
        else if (o.failure && o.failure->kind == error_kind::timeout)
            ++timed_out_;
        else
            ++failed_;
    }
    // A record is a compare-and-set on the attempt: while the store is unreachable it is made
    // again until the step's lease ends (a late one is ignored), so a database restart costs
    // its outage, not a lease and another attempt.
    const std::string who = "worker=" + config_.name;
    const auto lease_ends = clock_.now() + config_.lease;
    auto record = [this, &outcomes] { return store_.record_results(outcomes); };
    auto pause = [this](duration d) { return sleep_for(d); };
    auto lease_over = [this, lease_ends] { return stopping_ || clock_.now() >= lease_ends; };
    auto recorded = co_await detail::retry_transient(std::move(record), std::move(pause), std::move(lease_over),
                                                     config_.log, who, "record_results");
    if (!recorded) {
        // Not durable: leave the messages leased so the steps come back after the lease.
        config_.log.warn("worker={} event=record_failed error=\"{}\"", config_.name, recorded.error().what());
        co_return;
    }
    (void)co_await broker_.ack(q, std::move(ids));
}

template <task_store Store, message_broker Broker>
awaitable<void> worker<Store, Broker>::run_inline(queue_name q, std::vector<std::pair<delivery, step_claim>> batch)
{
    std::vector<step_outcome> outcomes;
    std::vector<delivery_id> ids;
    outcomes.reserve(batch.size());
    ids.reserve(batch.size());
    for (auto& [d, c] : batch) {
        const auto deadline = deadline_of(c);
        auto o = run_handler(c, deadline, {});
        running_attempts_.erase({c.ref.task, c.ref.step, c.attempt});
        if (o.finished_at > deadline) {
            o.success = false;
            o.result.reset();
            o.failure = step_failure{error_kind::timeout, "step exceeded its timeout", std::nullopt, c.attempt};
        }
        outcomes.push_back(std::move(o));
        ids.push_back(d.id);
    }
    co_await record_and_ack(q, std::move(ids), std::move(outcomes));
    release_slots(batch.size());
}

template <task_store Store, message_broker Broker>
awaitable<result<queued_claims>> worker<Store, Broker>::read_and_claim(queue_name q, std::size_t n, uuid owner)
{
    queued_claims out;
    if constexpr (queue_reading_store<Store, Broker>) {
        if (store_.reads_queues()) {
            // Read and claims commit together: on failure nothing was read, nothing is leased.
            auto taken = co_await store_.claim_queued(q, n, config_.lease, owner);
            if (!taken) {
                config_.log.warn("worker={} queue={} event=claim_failed error=\"{}\"", config_.name, q.view(),
                                 taken.error().what());
                co_return taken.error();
            }
            co_return std::move(*taken);
        }
    }
    auto batch = co_await broker_.read(q, n, config_.lease);
    if (!batch) {
        config_.log.warn("worker={} queue={} event=read_failed error=\"{}\"", config_.name, q.view(),
                         batch.error().what());
        co_return batch.error();
    }
    if (batch->empty())
        co_return out;
    std::vector<claim_request> reqs;
    reqs.reserve(batch->size());
    for (const auto& d : *batch)
        reqs.push_back({step_ref{d.msg.task, d.msg.step}, d.msg.attempt, config_.lease, owner});
    // Claims are compare-and-sets: while the store is unreachable they are made again, as
    // long as the messages are leased to us, so a database restart costs its outage, not
    // a lease.
    const auto leased_until = clock_.now() + config_.lease;
    auto claim = [this, &reqs] { return store_.claim_steps(reqs); };
    auto pause = [this](duration d) { return sleep_for(d); };
    auto lease_over = [this, leased_until] { return stopping_ || clock_.now() >= leased_until; };
    auto claims = co_await detail::retry_transient(std::move(claim), pause, std::move(lease_over), config_.log,
                                                   "worker=" + config_.name, "claim_steps");
    if (!claims) {
        // Leave the messages leased: they come back when the lease ends.
        config_.log.warn("worker={} queue={} event=claim_failed error=\"{}\"", config_.name, q.view(),
                         claims.error().what());
        co_return claims.error();
    }
    out.deliveries = std::move(*batch);
    out.outcomes = std::move(*claims);
    co_return out;
}

template <task_store Store, message_broker Broker>
awaitable<void> worker<Store, Broker>::run_on_pool(queue_name q, delivery d, step_claim claim_in)
{
    using namespace asio::experimental::awaitable_operators;
    auto j = std::make_shared<job>();
    j->claim = std::move(claim_in);
    const step_claim& claim = j->claim;
    jobs_.push_back(j);
    const auto deadline = deadline_of(claim);
    // The pool thread owns a reference to the job: it may outlive this coroutine after a
    // timeout or a forced stop, and then its late outcome is simply dropped.
    asio::post(*pool_, [this, j, deadline] {
        j->outcome = run_handler(j->claim, deadline, j->stop.get_token());
        j->done = true;
        j->finished.notify_all();
    });

    // The watch decides (handler returned, deadline, heartbeat, forced stop); this loop
    // performs what it says and tells it what came of it.
    detail::step_watch watch(deadline, config_.heartbeat_interval);
    std::optional<step_outcome> outcome;
    bool abandoned = false;
    bool still_owned = true;
    while (true) {
        const auto seen = j->finished.version();
        const auto force_seen = force_.version();
        const auto now = clock_.now();
        const auto next = watch.resume({now, j->done, forced_, still_owned});
        switch (next.type) {
        case detail::step_watch_action_type::wait:
            co_await (j->finished.wait(time_point::max(), seen) || clock_.wait_until(next.until) ||
                      force_.wait(time_point::max(), force_seen));
            continue;
        case detail::step_watch_action_type::heartbeat: {
            // Keep the step and its message (the vector is named: see tasker/asio.hpp). A failed
            // extension keeps the step: only the store's answer that it is not ours gives it up.
            std::vector<lease_extension> ext(1, lease_extension{claim.ref, claim.attempt, config_.lease});
            auto ours = co_await store_.extend_leases(std::move(ext));
            (void)co_await broker_.extend_lease(q, d.id, config_.lease);
            still_owned = !ours || (*ours)[0];
            continue;
        }
        case detail::step_watch_action_type::record_outcome: outcome = std::move(j->outcome); break;
        case detail::step_watch_action_type::abandon_for_shutdown:
            abandoned = true; // leave the message leased: another worker takes the step over
            break;
        case detail::step_watch_action_type::time_out: {
            j->stop.request_stop();
            const auto limit = std::chrono::duration_cast<seconds>(deadline - claim.claimed_at).count();
            outcome = step_outcome{claim.ref,
                                   claim.attempt,
                                   false,
                                   {},
                                   step_failure{error_kind::timeout,
                                                "step exceeded its timeout of " + std::to_string(limit) + "s",
                                                std::nullopt, claim.attempt},
                                   claim.claimed_at,
                                   now};
            break;
        }
        case detail::step_watch_action_type::abandon_not_owned: {
            j->stop.request_stop();
            abandoned = true;
            config_.log.info("worker={} task={} step={} attempt={} event=abandoned reason=no_longer_owned",
                             config_.name, claim.ref.task.to_string(), claim.ref.step, claim.attempt);
            std::vector<delivery_id> id(1, d.id);
            (void)co_await broker_.ack(q, std::move(id));
            break;
        }
        }
        break;
    }
    std::erase_if(jobs_, [&](const std::weak_ptr<job>& w) {
        auto p = w.lock();
        return !p || p == j;
    });
    running_attempts_.erase({claim.ref.task, claim.ref.step, claim.attempt});
    if (abandoned)
        ++abandoned_;
    else
        add_result_to_record(q, d.id, std::move(*outcome));
    release_slots(1); // the handler is done: its slot is free while the result is recorded
}

template <task_store Store, message_broker Broker>
void worker<Store, Broker>::add_result_to_record(queue_name q, delivery_id id, step_outcome outcome)
{
    results_to_record_.push_back({q, id, std::move(outcome)});
    if (!recording_) {
        recording_ = true;
        asio::co_spawn(strand_, record_in_groups(), asio::detached);
    }
}

// Group commit: one step's result alone is recorded at once; results finishing while a
// record is on its way wait for it and go together in the next, one transaction and one ack
// for many steps.
template <task_store Store, message_broker Broker>
awaitable<void> worker<Store, Broker>::record_in_groups()
{
    while (!results_to_record_.empty()) {
        const auto q = results_to_record_.front().queue;
        std::vector<delivery_id> ids;
        std::vector<step_outcome> outcomes;
        std::vector<result_to_record> later;
        for (auto& u : results_to_record_) {
            if (u.queue == q && ids.size() < config_.batch_size) {
                ids.push_back(u.id);
                outcomes.push_back(std::move(u.outcome));
            } else {
                later.push_back(std::move(u));
            }
        }
        results_to_record_ = std::move(later);
        co_await record_and_ack(q, std::move(ids), std::move(outcomes));
    }
    recording_ = false;
    idle_.notify_all();
}

} // namespace tasker
