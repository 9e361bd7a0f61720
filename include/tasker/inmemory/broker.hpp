#pragma once

#include <tasker/asio.hpp>
#include <tasker/clock.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/messaging/message_sink.hpp>
#include <tasker/messaging/queue_name.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace tasker::inmemory {

/// The embedded broker: queues in process memory with the same contract as PGMQ and
/// RabbitMQ (leases, redelivery with a read count, delayed sends, nack with delay), so
/// everything that runs on it runs unchanged on the others. Thread-safe; each queue has
/// its own lock, and waiting readers are woken by sends, not by polling.
///
/// Time (delays, leases) comes from the clock given at construction, so the testing kit's
/// manual clock drives it too.
class broker final : public message_sink {
public:
    explicit broker(any_clock clock = {});
    ~broker();
    broker(const broker&) = delete;
    broker& operator=(const broker&) = delete;

    // message_broker (see its requirements). They complete immediately, without suspending
    // except `wait`.
    awaitable<result<void>> ensure_queue(queue_name q);
    awaitable<result<void>> send(queue_name q, message m, duration delay);
    awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay);
    awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease);
    awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids);
    awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay);
    awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease);
    awaitable<result<void>> wait(queue_name q, time_point deadline);

    /// message_sink: the stores' atomic path.
    void deliver(std::span<const envelope> batch) override;

    // The synchronous operations behind the coroutines, for fakes and tools.
    void push(queue_name q, std::span<const message> ms, duration delay);
    std::vector<delivery> take(queue_name q, std::size_t max, duration lease);
    void ack_sync(queue_name q, std::span<const delivery_id> ids);
    bool nack_sync(queue_name q, delivery_id id, duration delay);
    bool extend_sync(queue_name q, delivery_id id, duration lease);

    /// Queue depth, for tests and metrics.
    struct queue_stats {
        std::size_t visible = 0;   ///< readable now
        std::size_t delayed = 0;   ///< sent with a delay or nacked, not yet visible
        std::size_t in_flight = 0; ///< delivered, not yet acked
        std::uint64_t sent = 0;    ///< ever sent
    };
    queue_stats stats(queue_name q) const;

    /// The earliest time a delayed or leased message of any queue becomes visible.
    std::optional<time_point> next_due() const;

    const any_clock& clock() const noexcept { return clock_; }

private:
    class queue;
    queue& get(queue_name q);
    queue* find(queue_name q) const;

    any_clock clock_;
    mutable std::shared_mutex mutex_; // guards the map; each queue guards itself
    std::unordered_map<queue_name, std::unique_ptr<queue>> queues_;
};

static_assert(message_broker<broker>);

} // namespace tasker::inmemory
