#pragma once

#include <tasker/asio.hpp>
#include <tasker/clock.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/error.hpp>
#include <tasker/logger.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/store/queue_reading_store.hpp>
#include <tasker/store/task_store.hpp>

#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tasker {

/// How an orchestrator looks for tasks past their lifecycle limits (`task_store::sweep_stale`).
struct staleness_config {
    /// Time between passes; zero turns staleness detection off in this orchestrator.
    duration interval = std::chrono::seconds(30);
    /// Tasks handled per pass, the most overdue first; a pass that fills it runs again at once.
    std::size_t batch = 100;
    /// Log what each pass would do, and change nothing.
    bool dry_run = false;
    /// Limits for templates that set none (a template's own limit wins, per limit). None by
    /// default: only templates with a `lifecycle:` are watched.
    lifecycle_limits defaults{};
    /// Judge by this orchestrator's clock instead of the store's (the database server's for
    /// PostgreSQL): for tests on virtual time.
    bool use_orchestrator_clock = false;
};

/// How an orchestrator takes finished tasks away (`task_store::purge_finished`): by default
/// those finished more than 30 days ago are deleted, checked every minute.
struct retention_config {
    /// Time between passes; zero turns retention off in this orchestrator (finished tasks
    /// then stay until something else removes them).
    duration interval = std::chrono::minutes(1);
    /// How long a finished task stays, what happens to it then, and the batch size.
    retention_pass pass{};
    /// Batches per pass at most; a pass stops early once a batch comes back short. Between
    /// batches the orchestrator goes on with its other work.
    std::size_t max_batches = 100;
    /// Judge ages by this orchestrator's clock instead of the store's: for tests on
    /// virtual time.
    bool use_orchestrator_clock = false;
};

struct orchestrator_config {
    /// Messages read and processed per store call.
    std::size_t batch_size = 64;
    /// How long a read batch stays this orchestrator's before another may process it.
    duration lease = std::chrono::seconds(30);
    /// Longest wait for messages before reading again, for brokers that cannot push.
    duration poll_interval = std::chrono::seconds(1);
    std::string name = "orchestrator";
    logger log;
    staleness_config staleness{};
    retention_config retention{};
};

/// Moves tasks forward: reads step results and retry timers from the orchestration queue
/// and has the store apply the decision core to each, under a per-task lock, committing
/// state changes and the messages they cause together; acks only after the commit.
///
/// Any number of orchestrators may share one store and broker. `Store` and `Broker` must
/// outlive it.
template <task_store Store, message_broker Broker>
class orchestrator {
public:
    orchestrator(asio::any_io_executor ex, Store& store, Broker& broker, orchestrator_config config = {},
                 any_clock clock = {});

    /// Serves until `stop()`; completes on the orchestrator's strand.
    awaitable<result<void>> run();

    /// Stops after the batch in hand. Thread-safe.
    void stop();

    struct counters {
        std::uint64_t batches = 0;
        std::uint64_t messages = 0;
    };
    counters stats() const { return {batches_.load(), messages_.load()}; }

    /// One staleness pass now (see `staleness_config`), as the orchestrator runs them: what
    /// it found, each task acted on unless the pass is a dry run.
    awaitable<result<std::vector<stale_task>>> sweep_stale_once();

    /// One retention pass now (see `retention_config`): batches until one comes back short or
    /// `max_batches` ran. What they took in all (`more`: the last batch was full).
    awaitable<result<retention_report>> purge_finished_once();

private:
    /// The body of `run()`, on the strand.
    awaitable<result<void>> run_on_strand();
    /// What one pass read, and what of it is left to ack.
    struct processed {
        std::size_t read = 0;
        std::vector<delivery_id> to_ack;
    };
    /// Reads up to a batch of `q` and processes it: through the store alone where it reads the
    /// queues (`queue_reading_store`; it archives what it read, nothing left to ack), else a
    /// broker read and the store's `process`.
    awaitable<result<processed>> read_and_process(queue_name q);
    /// Serves the orchestration queue until stopped.
    awaitable<void> serve(queue_name q);
    /// Staleness passes every `staleness.interval` until stopped.
    awaitable<void> watch_staleness();
    /// Retention passes every `retention.interval` until stopped.
    awaitable<void> keep_retention();
    awaitable<void> sleep_for(duration d);

    asio::strand<asio::any_io_executor> strand_;
    Store& store_;
    Broker& broker_;
    orchestrator_config config_;
    any_clock clock_;
    bool stopping_ = false; // strand only
    detail::waiter_list stop_;
    std::atomic<std::uint64_t> batches_{0}, messages_{0};
};

} // namespace tasker

#include <tasker/engine/impl/orchestrator.hpp>
