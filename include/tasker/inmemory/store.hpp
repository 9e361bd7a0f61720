#pragma once

#include <tasker/asio.hpp>
#include <tasker/clock.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/core/decision.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/message_sink.hpp>
#include <tasker/model/template_registry.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/task_analytics.hpp>
#include <tasker/store/task_store.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <array>
#include <deque>
#include <limits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tasker::inmemory {

struct store_options {
    /// Seeds task ids and retry jitter; 0 draws a seed from std::random_device.
    std::uint64_t seed = 0;
    /// About how many finished tasks (complete, error, cancelled, resolved) stay readable;
    /// older ones are forgotten, oldest first, so a long-running process keeps bounded
    /// memory (the limit applies per shard, divided evenly). Dead letters are kept
    /// regardless. The default keeps everything.
    std::size_t retain_finished = std::numeric_limits<std::size_t>::max();
    /// Recorded on the transitions orchestration makes; empty: `orchestrator:<host>/<pid>`.
    std::string actor;
};

/// The embedded store: every task, step and transition in process memory. Tasks are spread
/// over shards by id, each behind its own lock, so workers and orchestrators rarely wait
/// for each other. State changes and the messages they cause are one unit: the messages go
/// to the `message_sink` (the in-memory broker) inside the same critical section.
///
/// All decisions come from the pure core (`tasker::decide`); this class only keeps records
/// and applies compare-and-set changes, exactly as the PostgreSQL store does in SQL.
class store {
public:
    /// `sink` (usually an `inmemory::broker`) must outlive the store.
    explicit store(message_sink& sink, any_clock clock = {}, store_options options = {});
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // task_store (see its requirements). They complete without suspending.
    awaitable<result<template_ptr>> register_template(task_template t);
    awaitable<result<template_ptr>> find_template(template_ref ref);
    awaitable<result<std::vector<template_ptr>>> list_templates();
    awaitable<result<task_created>> create_task(new_task t);
    awaitable<result<std::vector<task_created>>> create_tasks(std::vector<new_task> batch);
    awaitable<result<std::vector<claim_outcome>>> claim_steps(std::vector<claim_request> reqs);
    awaitable<result<std::vector<bool>>> extend_leases(std::vector<lease_extension> exts);
    awaitable<result<std::vector<record_status>>> record_results(std::vector<step_outcome> outcomes);
    awaitable<result<void>> orchestrate(std::vector<message> events);
    awaitable<result<task_state>> apply_action(task_id id, operator_action a, change_origin who);
    awaitable<result<task_view>> get_task(task_id id);
    awaitable<result<task_page>> list_tasks(task_filter filter);
    awaitable<result<std::vector<bool>>> checkpoint_steps(std::vector<step_checkpoint> cps);
    awaitable<result<std::vector<stale_task>>> sweep_stale(staleness_sweep sweep);
    awaitable<result<dead_letter_page>> dead_letters(dead_letter_filter filter);
    awaitable<result<dead_letter>> dead_letter_of(task_id id);
    awaitable<result<tasker::dead_letter_counts>> dead_letter_counts();
    awaitable<result<dead_letter>> update_dead_letter(std::uint64_t entry, dead_letter_update update);
    awaitable<result<task_analytics>> analytics(analytics_query q);
    /// Both modes of `task_store::purge_finished` but `archive`: this store keeps nothing beyond
    /// memory, so it refuses to archive (`errc::invalid_request`).
    awaitable<result<retention_report>> purge_finished(retention_pass p);

    // The operations above, done on the calling thread before they return (`_sync`): what the
    // coroutines call, and what single-threaded callers (the embedded runtime, tests) use.
    result<template_ptr> register_template_sync(task_template t);
    result<task_created> create_task_sync(new_task t);
    /// Creates many tasks, all or none (see `task_store`), under one lock.
    result<std::vector<task_created>> create_tasks_sync(std::span<new_task> batch);
    std::vector<claim_outcome> claim_steps_sync(std::span<const claim_request> reqs);
    std::vector<bool> extend_leases_sync(std::span<const lease_extension> exts);
    std::vector<bool> checkpoint_steps_sync(std::span<const step_checkpoint> cps);
    std::vector<record_status> record_results_sync(std::span<step_outcome> outcomes);
    void orchestrate_sync(std::span<const message> events);
    result<task_state> apply_action_sync(const task_id& id, const operator_action& a, const change_origin& who);
    result<task_view> get_task_sync(const task_id& id) const;
    result<std::vector<stale_task>> sweep_stale_sync(const staleness_sweep& sweep);
    result<retention_report> purge_finished_sync(const retention_pass& p);
    /// A page of tasks (see `task_store`); it looks at every task the store holds, shard by
    /// shard, each under its lock.
    result<task_page> list_tasks_sync(const task_filter& filter) const;
    /// Analytics (see `task_store`): one pass over the shards, each under its lock in turn,
    /// over the tasks the store holds (those `retain_finished` let go are not counted).
    result<task_analytics> analytics_sync(const analytics_query& q) const;

    /// Suspends until some task changes state after `version()` returned `seen`, or until
    /// `deadline`. Lets callers wait for a task to finish without polling.
    awaitable<void> wait_for_change(std::uint64_t seen, time_point deadline);
    std::uint64_t version() const { return changes_.version(); }

    /// Number of tasks per state, for tests and metrics (evicted tasks are not counted).
    std::size_t count(task_state s) const;
    /// Tasks that reached a terminal state since the store was made, evicted or not.
    std::uint64_t finished_total() const;

private:
    struct task_record;
    struct shard; // tasks whose id hashes to it, under their own lock

    shard& shard_of(const task_id& id) const noexcept;
    /// Calls `f(shard, indices)` once per shard that holds an item of `items`, under that
    /// shard's lock, with the indices of those items: batches take each lock once.
    template <class Items, class F>
    void for_each_shard(const Items& items, F&& f) const;
    /// What a new task is created with: its registered template and its worker queue.
    struct task_placement {
        template_ptr tmpl;
        queue_name queue;
    };
    /// `t`'s registered template and queue, or why it cannot be created: checked for a whole
    /// batch before any task of it is.
    result<task_placement> place(const new_task& t) const;
    result<task_created> create_locked(shard& sh, new_task& t, const task_placement& rt, const task_id& id,
                                       time_point now);
    void commit(shard& sh, task_record& t, const decision& d, time_point now, const change_origin* origin);
    /// `o` kept with task `t` for as long as the task: the origin of an operator's action or a
    /// staleness pass.
    static const change_origin* keep_origin(task_record& t, change_origin o);
    static void claim_dynamic(const task_record& t, step_claim& c);
    void record_dead_letter(const task_record& t, const decision& d, time_point now);
    void close_dead_letter(const task_id& task, dead_letter_status status, const std::string& actor, time_point now);
    /// Judges one task of `sh` against `sweep` at `now`, expiring it unless dry-running.
    std::optional<stale_task> sweep_one(shard& sh, task_record& t, const staleness_sweep& sweep, time_point now);
    void flush(shard& sh);
    void evict_finished(shard& sh);
    /// Takes task `id` (held by `sh`) out of the store; its identity key goes to `identities`.
    void forget(shard& sh, const task_id& id, std::vector<std::string>& identities);
    /// Queues identity keys of forgotten tasks for removal (creation drains the queue).
    void release_identities(std::vector<std::string> identities);
    /// Retention over one shard: forgets up to `budget` of its tasks that may retire at `cutoff`.
    std::size_t retire_finished(shard& sh, time_point cutoff, std::size_t budget, std::vector<std::string>& identities);
    bool has_open_dead_letter(const task_id& id) const;

    message_sink& sink_;
    any_clock clock_;
    template_registry templates_;
    std::vector<std::unique_ptr<shard>> shards_;
    std::size_t retain_per_shard_;

    std::mutex ids_mutex_;
    uuid_generator ids_;

    // Identity keys of live tasks. Evicted tasks queue their key for removal; creation
    // drains the queue first (the queue's lock is a leaf: never held while taking another).
    std::mutex identities_mutex_;
    boost::unordered_flat_map<std::string, task_id> identities_;
    std::mutex evicted_identities_mutex_;
    std::vector<std::string> evicted_identities_;

    change_origin orchestration_origin_; // `orchestrator:<actor>`
    change_origin creation_origin_;      // `client`

    // The dead-letter queue: entries by id (id - 1 is the index), and each task's latest.
    mutable std::mutex dead_letters_mutex_;
    std::vector<dead_letter> dead_letters_;
    boost::unordered_flat_map<task_id, std::size_t, std::hash<task_id>> latest_dead_letter_;

    detail::waiter_list changes_;
};

static_assert(task_store<store>);

} // namespace tasker::inmemory
