#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/model/dynamic_structure.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/store/queue_reading_store.hpp>
#include <tasker/store/queued_claims.hpp>
#include <tasker/store/task_analytics.hpp>
#include <tasker/store/task_store.hpp>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tasker::postgres {

/// Where the store's messages go, in the transaction of the state change that causes them.
enum class message_route : std::uint8_t {
    pgmq,   ///< pgmq queues in this database (the PGMQ broker reads them)
    outbox, ///< rows of tasker.outbox, which an `outbox_relay` publishes to another broker (RabbitMQ)
};

std::string_view to_string(message_route r) noexcept;
std::ostream& operator<<(std::ostream& os, message_route r);

struct store_config {
    /// libpq connection string or URL of a database migrated with tasker's migrations
    /// (`tasker::postgres::migrate`, `tasker-migrate`), e.g. postgresql://tasker@db:5432/tasker.
    std::string url;
    /// Threads (and connections) running statements.
    std::size_t threads = 4;
    /// Seeds task ids and retry jitter; 0 draws a seed from std::random_device.
    std::uint64_t seed = 0;
    /// `outbox` when the broker is not PGMQ: run an `outbox_relay` next to the store.
    message_route route = message_route::pgmq;
    /// Bounds on what decision and batchable steps create, for the templates the store reads
    /// back (the runtime passes its `template_options::creation`).
    creation_limits creation{};
    /// Recorded on the transitions orchestration makes; empty: `orchestrator:<host>/<pid>`.
    std::string actor;
};

/// The `task_store` over PostgreSQL (libpqxx), sending its messages through the pgmq SQL API of
/// the same database (the PGMQ broker reads them) or into its outbox table (see
/// `message_route`), so state and messages commit together.
///
/// Schema: migrations/0002_tasker.sql. Every decision comes from the pure core
/// (`tasker::decide`); this class reads state under a row lock on each task it changes
/// (`FOR NO KEY UPDATE`, tasks in id order), decides in C++, and writes the changes with their
/// transitions and messages by compare-and-set in the same transaction. Batches (claims,
/// heartbeats, results, orchestration events) are one transaction and a few round trips, not
/// one per item. Times (leases, history) are the database server's clock, shared by every
/// process; task ids are made here (uuid v7, from this host's clock).
///
/// Any number of stores, in any number of processes, may share one database: templates are
/// read back from the database (and cached: they are immutable), tasks are never cached.
///
/// Operations run on the store's own threads and complete on the awaiting coroutine's
/// executor; the store must outlive them. They are not cancellable: a statement once sent
/// runs to its end. A lost connection is `errc::backend_unavailable`, a compare-and-set that
/// lost a race `errc::state_conflict` (both transient: the whole operation may be retried,
/// nothing of it was committed).
///
/// @par Example
/// @code
/// tasker::postgres::migrate(url, "/usr/share/tasker/migrations").value();
/// tasker::postgres::store tasks({.url = url});
/// tasker::pgmq::broker messages({.url = url});
/// tasker::orchestrator<tasker::postgres::store, tasker::pgmq::broker> o(tasks, messages, ...);
/// @endcode
class store {
public:
    /// Opens no connection yet: the first operation does.
    explicit store(store_config config);
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    const store_config& config() const noexcept;

    // task_store (see its requirements)
    awaitable<result<template_ptr>> register_template(task_template t);
    awaitable<result<template_ptr>> find_template(template_ref ref);
    awaitable<result<std::vector<template_ptr>>> list_templates();
    awaitable<result<task_created>> create_task(new_task t);
    awaitable<result<std::vector<task_created>>> create_tasks(std::vector<new_task> batch);
    awaitable<result<std::vector<claim_outcome>>> claim_steps(std::vector<claim_request> reqs);
    awaitable<result<std::vector<bool>>> checkpoint_steps(std::vector<step_checkpoint> cps);
    awaitable<result<std::vector<bool>>> extend_leases(std::vector<lease_extension> exts);
    awaitable<result<std::vector<record_status>>> record_results(std::vector<step_outcome> outcomes);
    awaitable<result<void>> orchestrate(std::vector<message> events);
    awaitable<result<task_state>> apply_action(task_id id, operator_action a, change_origin who);
    awaitable<result<task_view>> get_task(task_id id);
    awaitable<result<task_page>> list_tasks(task_filter filter);
    awaitable<result<std::vector<stale_task>>> sweep_stale(staleness_sweep sweep);
    awaitable<result<dead_letter_page>> dead_letters(dead_letter_filter filter);
    awaitable<result<dead_letter>> dead_letter_of(task_id id);
    awaitable<result<tasker::dead_letter_counts>> dead_letter_counts();
    awaitable<result<dead_letter>> update_dead_letter(std::uint64_t entry, dead_letter_update update);
    /// Two statements in one read-only snapshot, the window read through the indexes on task
    /// ids (see store/analytics.cpp).
    awaitable<result<task_analytics>> analytics(analytics_query q);
    /// Archiving moves a task's rows to tasker.archived_tasks, archived_steps,
    /// archived_task_transitions, archived_step_transitions and archived_step_failures.
    awaitable<result<retention_report>> purge_finished(retention_pass p);

    // Waiting for tasks to finish (tasker::client::wait_until_finished waits with these).

    /// Counts what the store heard of tasks finishing: read it, look at the task, and if it
    /// has not finished, `wait_for_finish(id, seen, deadline)`.
    std::uint64_t version() const;
    /// Completes once task `id` may have finished since `version()` was `seen`: it ended, in
    /// any process on this database (each commit that ends tasks names them on the channel
    /// `tasker$finished`), or the store's listener (re)subscribed and a notification may have
    /// been missed. Or at `deadline`. Other tasks ending do not wake it. The listener, a
    /// connection of its own, starts with the first wait.
    awaitable<void> wait_for_finish(task_id id, std::uint64_t seen, time_point deadline);

    // Reading the PGMQ queues of this database in the store's own transactions (the engines
    // use these next to a tasker::pgmq::broker: see tasker::queue_reading_store).

    /// True on the PGMQ route (the queues are in this database).
    bool reads_queues() const noexcept;
    /// A worker's read and claim in one transaction: reads up to `max` messages of queue `q`,
    /// leased for `lease` (pgmq.read), and claims the step each names (`claim_steps`, each
    /// request with `lease` and `owner`). Nothing is read unless the claims commit.
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    /// An orchestrator's read and pass in one transaction: reads up to `max` messages of queue
    /// `q`, leased for `lease`, processes them (`process`) and archives them (pgmq.archive).
    /// Returns what it read, nothing left to ack; nothing is read unless the pass commits.
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Where a store working next to broker `B` sends its messages unless told otherwise: into
/// this database's pgmq queues when `B` reads them from here (`queue_reading_store<store, B>`,
/// as tasker::pgmq::broker does), else into the outbox, which an `outbox_relay` publishes.
template <class B>
inline constexpr message_route route_for =
    queue_reading_store<store, B> ? message_route::pgmq : message_route::outbox;

} // namespace tasker::postgres
