#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tasker::rabbitmq {

struct broker_config {
    /// amqp://user:password@host:port/vhost (RabbitMQ's defaults for missing parts).
    std::string url = "amqp://guest:guest@127.0.0.1:5672/";
    /// Starts the name of every queue and exchange tasker declares (see `topology`): several
    /// deployments, or tests, can share one virtual host with different prefixes.
    std::string prefix = "tasker.";
    /// Unacked messages RabbitMQ hands this broker per queue before it acks some: deliveries
    /// wait in memory until `read` takes them. Higher is faster; lower spreads work more
    /// evenly over many worker processes.
    std::uint16_t prefetch = 64;
    /// How long pushed deliveries may wait in this process for a `read` (a worker whose
    /// slots are all busy does not read) before they go back to the queue for other
    /// consumers; reading again resumes the consumer.
    duration hold = std::chrono::seconds(1);
    duration heartbeat = std::chrono::seconds(30);
    /// Bounds connecting and every synchronous AMQP call (declarations, consume).
    duration timeout = std::chrono::seconds(10);
    /// Queues whose messages travel packed: what one `send_batch` gives such a queue goes as
    /// AMQP messages of up to `pack_limit` tasker messages each. RabbitMQ's work (store,
    /// confirm, deliver, ack) is per AMQP message, so a pack costs it about what one message
    /// does. A pack is delivered to one consumer and acked once every message in it is; if
    /// that consumer's connection dies, the whole pack comes back (messages it had already
    /// acked come again: duplicates, which tasker's consumers ignore). By default only the
    /// orchestration queue, where any orchestrator takes any message, in batches; worker
    /// queues stay one message per step, so steps spread over worker processes one by one.
    std::vector<queue_name> packed_queues = {orchestration_queue()};
    std::size_t pack_limit = 256;
    /// Reconnection backoff after the connection breaks: doubles from min to max.
    duration reconnect_min = std::chrono::milliseconds(100);
    duration reconnect_max = std::chrono::seconds(5);
};

/// The `message_broker` over RabbitMQ (rabbitmq-c): durable queues, persistent messages,
/// publisher confirms, manual acks and prefetch. docs/rabbitmq.md describes the topology.
///
/// - `send` completes once RabbitMQ confirmed the message (it is on its disk).
/// - `read` hands out deliveries RabbitMQ already pushed (basic.consume, no polling) and
///   leases them: a message not acked within its lease is published again with its read
///   count one higher, then the original is acked — so it comes back even while this
///   process lives. If the process or its connection dies, RabbitMQ requeues what it had
///   not acked (its next `read_count` then counts that redelivery once however many there were).
/// - Deliveries no `read` takes within `hold` go back to the queue (the consumer pauses
///   until the next `read`), so a busy process does not sit on work others could do.
/// - Delays (`send` with a delay, `nack`) go through per-delay TTL queues that dead-letter into
///   the work queue (`delay_bucket`: up to 10% late, never early).
/// - Messages to `packed_queues` travel several to an AMQP message (see there).
/// - A message that is not a tasker message is rejected into the dead-letter queue.
/// - After the connection breaks, operations fail with `backend_unavailable` while it
///   reconnects in the background with backoff; consumers resume by themselves.
///
/// One connection and one thread per broker; operations complete on the awaiting
/// coroutine's executor. The broker must outlive them.
class broker {
public:
    explicit broker(broker_config config);
    ~broker(); ///< closes the connection: RabbitMQ requeues unacked deliveries
    broker(const broker&) = delete;
    broker& operator=(const broker&) = delete;

    const broker_config& config() const noexcept;

    // message_broker (see its requirements)
    awaitable<result<void>> ensure_queue(queue_name q);
    awaitable<result<void>> send(queue_name q, message m, duration delay);
    awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay);
    awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease);
    awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids);
    awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay);
    awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease);
    awaitable<result<void>> wait(queue_name q, time_point deadline);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace tasker::rabbitmq
