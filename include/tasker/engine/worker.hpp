#pragma once

#include <tasker/asio.hpp>
#include <tasker/clock.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/engine/handler_execution.hpp>
#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/step_context.hpp>
#include <tasker/error.hpp>
#include <tasker/logger.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/queue_reading_store.hpp>
#include <tasker/store/queued_claims.hpp>
#include <tasker/store/task_store.hpp>

#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace tasker {

struct worker_config {
    /// Namespaces whose worker queues (`worker_<ns>`) this worker serves. Required.
    std::vector<std::string> namespaces;
    /// Steps running at once, across all namespaces. A step's slot frees when its handler
    /// returns; its result is recorded meanwhile, with others finishing at the same time.
    std::size_t concurrency = 8;
    /// Messages read per broker call (at most the free concurrency), and results recorded
    /// per store call.
    std::size_t batch_size = 16;
    /// How long a claimed step stays this worker's without a heartbeat. A crashed worker's
    /// step is taken over this long after its last heartbeat.
    duration lease = std::chrono::seconds(30);
    /// Heartbeat period while a handler runs; zero means lease / 3.
    duration heartbeat_interval{};
    /// Longest wait for messages before reading again, for brokers that cannot push.
    duration poll_interval = std::chrono::seconds(1);
    /// Per-attempt limit for steps whose template sets no `timeout_seconds`.
    seconds default_timeout{300};
    /// Largest step result accepted, serialised. A handler returning more fails its attempt
    /// permanently with a message saying so: every dependent step reads the result, and a
    /// backend row or message holds it, so unbounded results are a bug to surface early.
    std::size_t max_result_bytes = 1 << 20;
    handler_execution execution = handler_execution::thread_pool;
    /// Threads of the handler pool; zero means `concurrency`.
    std::size_t handler_threads = 0;
    /// Names this worker in logs and in recorded errors.
    std::string name = "worker";
    logger log;
};

/// Runs steps: reads step messages from its namespaces' queues, claims each step
/// (compare-and-set, attempt + 1), runs its handler with a deadline and heartbeats, records
/// the result (which tells the orchestrator) and only then acks the message.
///
/// Any number of workers may serve the same namespaces, in one process or many.
/// `Store` and `Broker` must outlive the worker.
template <task_store Store, message_broker Broker>
class worker {
public:
    worker(asio::any_io_executor ex, Store& store, Broker& broker, const handler_registry& handlers,
           worker_config config, any_clock clock = {});
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    /// Checks that every template of its namespaces has its handlers registered
    /// (`errc::unknown_handler` otherwise), then serves until `stop()` and returns once the
    /// in-flight steps are finished or abandoned. Completes on the worker's strand.
    awaitable<result<void>> run();

    /// Stops reading new messages. Running steps get `grace` to finish; after that their
    /// handlers are told to stop (stop token) and their messages are left un-acked, so the
    /// steps are taken over by another worker when their lease ends. Thread-safe.
    void stop(duration grace = std::chrono::seconds(30));

    struct counters {
        std::uint64_t claimed = 0;
        std::uint64_t succeeded = 0;
        std::uint64_t failed = 0;
        std::uint64_t timed_out = 0;
        std::uint64_t abandoned = 0; ///< no longer ours (cancelled, resolved) or cut by shutdown
    };
    counters stats() const;

private:
    struct job;

    /// The body of `run()`, on the strand.
    awaitable<result<void>> run_on_strand();
    awaitable<void> read_loop(queue_name q);
    /// Reads up to `n` messages of `q` and claims their steps for `owner`: through the store
    /// alone where it reads the queues (`queue_reading_store`), else a broker read and a claim.
    awaitable<result<queued_claims>> read_and_claim(queue_name q, std::size_t n, uuid owner);
    /// Runs the step's handler on the pool, watching its deadline, heartbeats and a forced stop
    /// (`detail::step_watch`), then hands its outcome to `add_result_to_record`.
    awaitable<void> run_on_pool(queue_name q, delivery d, step_claim claim);
    /// Runs each step's handler here, one after the other, then records them together.
    awaitable<void> run_inline(queue_name q, std::vector<std::pair<delivery, step_claim>> batch);
    /// Calls the step's handler and turns what it returned or threw into the attempt's outcome.
    result<void> write_checkpoint(const step_claim& claim, const batch_checkpoint& progress) const;
    step_outcome run_handler(const step_claim& claim, time_point deadline, std::stop_token stop) const;
    time_point deadline_of(const step_claim& claim) const;
    /// Records `outcomes` in one store call and, once that is durable, acks their messages `ids`.
    awaitable<void> record_and_ack(queue_name q, std::vector<delivery_id> ids, std::vector<step_outcome> outcomes);
    /// Adds a finished step's result to the next group record, starting `record_in_groups` if
    /// it is not running.
    void add_result_to_record(queue_name q, delivery_id id, step_outcome outcome);
    /// Records the results added, a group (one queue, up to a batch) per store call, until none is left.
    awaitable<void> record_in_groups();
    awaitable<void> sleep_for(duration d);
    /// `n` steps' handlers are done: their slots are free for new steps.
    void release_slots(std::size_t n);

    asio::strand<asio::any_io_executor> strand_;
    Store& store_;
    Broker& broker_;
    const handler_registry& handlers_;
    worker_config config_;
    any_clock clock_;
    std::optional<asio::thread_pool> pool_;

    // Touched only on the strand.
    std::size_t running_ = 0;
    std::size_t readers_ = 0;
    bool stopping_ = false;
    bool forced_ = false;
    std::vector<std::weak_ptr<job>> jobs_;
    uuid_generator owners_; // claim owner tokens
    struct result_to_record {
        queue_name queue;
        delivery_id id;
        step_outcome outcome;
    };
    std::vector<result_to_record> results_to_record_; // finished steps waiting for record_in_groups()
    /// An attempt running on this worker, by task, step and attempt number.
    struct attempt_key {
        task_id task;
        std::uint32_t step = 0;
        std::uint32_t attempt = 0;
        friend bool operator==(const attempt_key&, const attempt_key&) = default;
    };
    struct attempt_hash {
        std::size_t operator()(const attempt_key& k) const noexcept
        {
            return std::hash<task_id>{}(k.task) ^ (std::size_t{k.step} << 32 | k.attempt) * 0x9e3779b97f4a7c15ULL;
        }
    };
    boost::unordered_flat_set<attempt_key, attempt_hash> running_attempts_; // flat: no allocation per step
    bool recording_ = false;                          // record_in_groups() runs

    detail::waiter_list slots_;    // a running step finished
    detail::waiter_list stop_;     // stop() was called
    detail::waiter_list force_;    // the grace period ran out
    detail::waiter_list idle_;     // readers_ or running_ dropped, or recording_ ended
    std::atomic<std::uint64_t> claimed_{0}, succeeded_{0}, failed_{0}, timed_out_{0}, abandoned_{0};
};

} // namespace tasker

#include <tasker/engine/impl/worker.hpp>
