#pragma once

namespace tasker {

/// Whether the engines on `Store` and `Broker` let the store read the broker's queues itself,
/// in the transaction that acts on what it reads. A worker's read and its claim, or an
/// orchestrator's read and its pass, are then one operation of the store: the read's rows go
/// straight to the locks on the same connection, without the two thread hand-offs between a
/// broker read and a store call (about 0.05 ms of every hop on PostgreSQL), and nothing is
/// read unless the claim or pass commits.
///
/// A pass also archives what it read in its own commit: no separate ack follows.
///
/// A backend pair specializes it to true when its store has `reads_queues()` (checked at run
/// time: a store configured to send its messages elsewhere cannot),
/// `claim_queued(queue, max, lease, owner)` -> `{deliveries, outcomes}` and
/// `process_queued(queue, max, lease)` -> the deliveries read (and archived). A worker's acks,
/// nacks, lease extensions and waits still go through the broker. tasker::pgmq does, for
/// tasker::postgres::store.
template <class Store, class Broker>
inline constexpr bool store_reads_queues = false;

} // namespace tasker
