#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/queued_claims.hpp>
#include <tasker/store/task_store.hpp>

#include <concepts>
#include <cstddef>
#include <vector>

namespace tasker {

/// A `task_store` that reads the queues of the broker `B` itself, in the transaction that acts
/// on what it reads. A worker's read and its claims, or an orchestrator's read and its pass,
/// are then one operation of the store: the messages read go straight to the row locks on the
/// same connection, without handing them from the broker to the store, and nothing is read
/// unless the claim or the pass commits. The engines take this path when the concept holds
/// and `reads_queues()` is true; otherwise they read through the broker and call the store.
/// A worker's acks, nacks, lease extensions and waits go through the broker either way.
///
/// Requirements, for a store `s` of type `S` working next to a broker of type `B`:
///
/// 1. `S` is a `task_store` and `B` a `message_broker`.
/// 2. `typename B::colocated_store` is `S`: the broker declares, once, that its queues live
///    where this store reads them in its own transactions (the same database).
/// 3. `s.reads_queues()` -> `bool`: whether this store, as configured, reads them (one
///    configured to send its messages elsewhere does not). Checked at run time.
/// 4. `s.claim_queued(q, max, lease, owner)` -> `awaitable<result<queued_claims>>`: in one
///    transaction, reads up to `max` messages of `q`, leased for `lease`, and claims the step
///    each names as `claim_steps` does (each request with `lease` and `owner`). On failure
///    nothing was read.
/// 5. `s.process_queued(q, max, lease)` -> `awaitable<result<std::vector<delivery>>>`: in one
///    transaction, reads up to `max` messages of `q`, leased for `lease`, processes them as
///    `process` does and archives them. Returns what it read, nothing left to ack; on failure
///    nothing was read.
///
/// tasker::postgres::store with tasker::pgmq::broker is such a pair.
template <class S, class B>
concept queue_reading_store =
    task_store<S> && message_broker<B> && requires { typename B::colocated_store; } &&
    std::same_as<typename B::colocated_store, S> &&
    requires(S& s, const S& cs, queue_name q, std::size_t max, duration lease, uuid owner) {
        { cs.reads_queues() } -> std::same_as<bool>;
        { s.claim_queued(q, max, lease, owner) } -> std::same_as<awaitable<result<queued_claims>>>;
        { s.process_queued(q, max, lease) } -> std::same_as<awaitable<result<std::vector<delivery>>>>;
    };

} // namespace tasker
