#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>

#include <concepts>
#include <cstddef>
#include <vector>

namespace tasker {

/// Moves messages between orchestrators and workers with at-least-once delivery and
/// leases. Every operation is a coroutine returning `awaitable<result<T>>`, takes its
/// arguments by value and completes on the awaiting coroutine's executor. For a broker `b`:
///
/// 1. `b.ensure_queue(q)`: create the queue if missing (idempotent).
/// 2. `b.send(q, m, delay)` / `b.send_batch(q, ms, delay)`: enqueue, invisible for `delay`.
/// 3. `b.read(q, max, lease)`: up to `max` visible messages, oldest first, each leased to
///    the caller for `lease`; a message not acked before its lease ends is delivered again
///    with `read_count + 1`. Never blocks: an empty vector when nothing is visible.
/// 4. `b.ack(q, ids)`: remove delivered messages for good (unknown ids are ignored).
/// 5. `b.nack(q, id, delay)`: give a delivered message back, visible again after `delay`.
/// 6. `b.extend_lease(q, id, lease)`: keep a delivered message for `lease` from now.
/// 7. `b.wait(q, deadline)`: suspend until a message may be readable on `q` (pushed by the
///    backend where it can: LISTEN/NOTIFY, AMQP consume; else by polling) or `deadline`;
///    at once if one is readable already (consumers whose read came back short wait
///    rather than read again). Spurious wake-ups are allowed; callers read again.
///
/// State-changing sends that must be atomic with a store commit do not go through `send`:
/// the store commits them with its transaction (DESIGN "Atomic state + message").
template <class B>
concept message_broker = requires(B& b, queue_name q, message m, std::vector<message> ms, std::size_t max,
                                  duration d, delivery_id id, std::vector<delivery_id> ids, time_point deadline) {
    { b.ensure_queue(q) } -> std::same_as<awaitable<result<void>>>;
    { b.send(q, m, d) } -> std::same_as<awaitable<result<void>>>;
    { b.send_batch(q, ms, d) } -> std::same_as<awaitable<result<void>>>;
    { b.read(q, max, d) } -> std::same_as<awaitable<result<std::vector<delivery>>>>;
    { b.ack(q, ids) } -> std::same_as<awaitable<result<void>>>;
    { b.nack(q, id, d) } -> std::same_as<awaitable<result<void>>>;
    { b.extend_lease(q, id, d) } -> std::same_as<awaitable<result<void>>>;
    { b.wait(q, deadline) } -> std::same_as<awaitable<result<void>>>;
};

} // namespace tasker
