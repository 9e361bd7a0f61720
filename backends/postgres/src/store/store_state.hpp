#pragma once
// Internal to tasker::postgres: the state of a `postgres::store` (its pool, the listener for
// finished tasks, ids and randomness, the template cache) and the steps every write starts
// with. Each entity's operations are in the .cpp named after it.

#include <tasker/postgres/store.hpp>

#include "finish_watch.hpp"
#include "pq/listener.hpp"
#include "pq/pool.hpp"
#include "store/changeset.hpp"
#include "store/sql.hpp"
#include "store/task_rows.hpp"

#include <tasker/messaging/message.hpp>
#include <tasker/model/uuid.hpp>

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

namespace tasker::postgres {

namespace detail {

/// Whether the orchestrator acts on `m`: results and retry timers (anything else is dropped).
inline bool orchestrates(const message& m)
{
    return m.kind == message_kind::step_result || m.kind == message_kind::retry_due;
}

} // namespace detail

struct store::impl {
    store_config config;
    pq::pool pool;
    change_origin orchestration_origin; // `orchestrator:<config.actor>`

    // Waiting for tasks to finish: fed by the listener, which starts with the first wait.
    detail::finish_watch finished;
    std::mutex listener_mutex;
    std::unique_ptr<pq::listener> finish_listener; // after `finished`: destroyed before it

    std::mutex random_mutex;
    uuid_generator id_source; // task ids
    uuid_generator jitter;    // the decision core's randomness (retry jitter)

    // Template rows never change once written: what was read is cached for good.
    std::mutex templates_mutex;
    std::map<std::int64_t, template_ptr> templates_by_id;
    std::map<template_key, std::int64_t> template_ids;

    explicit impl(store_config c);

    task_id next_id();
    std::uint64_t next_random();
    /// Starts the listener on `finished_channel`, once.
    void listen_for_finished();

    template <class T, class F>
    awaitable<result<T>> run(F f, std::string_view doing)
    {
        return pool.run<T>(std::move(f), doing);
    }

    // On a pool thread, inside `tx`:

    /// The template of row `id`, from the cache or read and decoded.
    result<template_ptr> template_by_id(pqxx::transaction_base& tx, std::int64_t id);
    /// Caches the templates of rows `wanted`, reading those not cached yet in one statement
    /// (listings and batches never read templates one by one).
    result<void> cache_templates(pqxx::transaction_base& tx, std::vector<std::int64_t> wanted);
    /// The registered template `ref` names (exact version, or the newest), and its row id;
    /// the errors of `template_registry::find`.
    result<std::pair<std::int64_t, template_ptr>> find_template(pqxx::transaction_base& tx, const template_ref& ref);
    void remember(std::int64_t id, const template_ptr& t);

    /// Begins `tx`, locks the rows of `ids` (sorted, distinct) in id order and reads them with
    /// all their steps, in one round trip (tasker.lock_tasks); unknown ids are left out.
    /// Returns the rows and the time of the lock (microseconds, the server's clock), which the
    /// operation uses as its `now`.
    std::pair<std::vector<detail::task_row>, std::int64_t> lock_tasks(detail::write_transaction& tx,
                                                                       const std::vector<task_id>& ids);
    /// Fills `t.tmpl` of each row (the templates' rows read in one statement if needed).
    result<void> load_templates(pqxx::transaction_base& tx, std::vector<detail::task_row*> rows);

    /// Begins `tx` with a read of up to `max` messages of PGMQ queue `q`, leased for `lease`
    /// (one round trip): they are read only if `tx` commits. Messages that are not tasker's
    /// are archived instead (pq::deliveries_from_rows).
    std::vector<delivery> read_queue(detail::write_transaction& tx, const queue_name& q, std::size_t max,
                                     duration lease);
    /// The claims of `reqs`, decided and committed in `tx` (begun or not).
    result<std::vector<claim_outcome>> claim(detail::write_transaction& tx, const std::vector<claim_request>& reqs);
    /// Orchestration of `events` (results and retry timers), decided and committed in `tx`,
    /// with `read` (the messages they came in) archived by the same commit.
    result<void> orchestrate(detail::write_transaction& tx, const std::vector<message>& events,
                         detail::read_messages read = {});
};

} // namespace tasker::postgres
