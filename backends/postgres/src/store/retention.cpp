#include "store/store_state.hpp"

#include "pq/pgmq_tables.hpp"

#include <tasker/core/retention.hpp>

// Retention: one statement per batch takes the finished tasks old enough (`may_retire`, in
// SQL), locking each (FOR UPDATE SKIP LOCKED: a task a transaction holds now is left for the
// next pass, and one reopened meanwhile no longer qualifies once its lock is ours), and
// deletes them; their steps and tags go by cascade, their history by the trigger of 0007.
// Archiving copies the rows into tasker.archived_* in the same statement.
//
// PGMQ's archive tables (pgmq.a_<queue>) keep every message acked: each batch also deletes
// those archived before the cutoff, up to a batch per queue (through their archived_at index),
// or they would grow with every step ever run.
//
// The search walks tasks_state (state, id) below an id bound (`retention_id_bound`): tasks
// created after the cutoff are never read, so a pass costs what it takes, not the size of
// the young finished set. No index is added for retention: the hot path pays nothing for it.

namespace tasker::postgres {

using namespace detail;

namespace {

// $1 id bound, $2 cutoff as of (microseconds; NULL: the server's now), $3 finished_for (µs), $4 batch.
#define TASKER_RETIRING                                                                                                \
    "WITH doomed AS ("                                                                                                 \
    "SELECT t.id FROM tasker.tasks AS t "                                                                              \
    "WHERE t.state IN ('complete', 'error', 'cancelled', 'resolved_manually') AND t.id < $1::uuid "                    \
    "AND t.updated_at < coalesce(timestamptz 'epoch' + $2::bigint * interval '1 microsecond', now()) "                 \
    "- $3::bigint * interval '1 microsecond' "                                                                         \
    "AND NOT EXISTS (SELECT 1 FROM tasker.dead_letters AS d "                                                          \
    "WHERE d.task_id = t.id AND d.status IN ('pending', 'investigating')) "                                            \
    "LIMIT $4 FOR UPDATE OF t SKIP LOCKED)"

constexpr statement delete_finished{
    "tasker_retention_delete", TASKER_RETIRING " DELETE FROM tasker.tasks AS t USING doomed WHERE t.id = doomed.id"};

constexpr statement archive_finished{
    "tasker_retention_archive",
    TASKER_RETIRING
    ", tasks AS (INSERT INTO tasker.archived_tasks SELECT t.*, now() FROM tasker.tasks AS t JOIN doomed USING (id)), "
    "steps AS (INSERT INTO tasker.archived_steps "
    "SELECT s.* FROM tasker.steps AS s JOIN doomed ON s.task_id = doomed.id), "
    "task_history AS (INSERT INTO tasker.archived_task_transitions "
    "SELECT h.* FROM tasker.task_transitions AS h JOIN doomed ON h.task_id = doomed.id), "
    "step_history AS (INSERT INTO tasker.archived_step_transitions "
    "SELECT h.* FROM tasker.step_transitions AS h JOIN doomed ON h.task_id = doomed.id), "
    "failures AS (INSERT INTO tasker.archived_step_failures "
    "SELECT f.* FROM tasker.step_failures AS f JOIN doomed ON f.task_id = doomed.id) "
    "DELETE FROM tasker.tasks AS t USING doomed WHERE t.id = doomed.id"};

#undef TASKER_RETIRING

constexpr statement pgmq_queues{"tasker_retention_queues", "SELECT queue_name FROM pgmq.meta ORDER BY queue_name"};

// $1 cutoff as of (microseconds; NULL: the server's now), $2 finished_for (µs), $3 batch.
std::string purge_archive_sql(const std::string& queue)
{
    const auto table = pq::pgmq_table(queue, "a");
    return "with old as (select msg_id from " + table +
           " where archived_at < coalesce(timestamptz 'epoch' + $1::bigint * interval '1 microsecond', now()) "
           "- $2::bigint * interval '1 microsecond' order by archived_at limit $3) "
           "delete from " + table + " as a using old where a.msg_id = old.msg_id";
}

} // namespace

awaitable<result<retention_report>> store::purge_finished(retention_pass p)
{
    if (auto r = check_retention(p); !r)
        co_return r.error();
    auto op = [p](pqxx::connection& c) -> result<retention_report> {
        // The bound comes from this host's clock (ids are made from hosts' clocks); the cutoff
        // is the server's, as the times it is compared with.
        const auto bound = retention_id_bound(retention_cutoff(p, std::chrono::system_clock::now()));
        const std::optional<long long> as_of =
            p.as_of ? std::optional<long long>(to_us(p.as_of->time_since_epoch())) : std::nullopt;
        pqxx::nontransaction tx(c);
        const auto done = exec(tx, p.mode == retention_mode::archive ? archive_finished : delete_finished,
                               bound.to_string(), as_of, static_cast<long long>(to_us(p.finished_for)),
                               static_cast<long long>(p.batch));
        retention_report report;
        report.removed = static_cast<std::size_t>(done.affected_rows());
        report.more = report.removed == p.batch;
        for (const auto& row : exec(tx, pgmq_queues)) {
            const std::string queue = row[0].c_str();
            const auto purged = pq::exec_prepared(tx, pq::pgmq_statement("purge", queue), purge_archive_sql(queue), as_of,
                                                  static_cast<long long>(to_us(p.finished_for)),
                                                  static_cast<long long>(p.batch));
            const auto n = static_cast<std::size_t>(purged.affected_rows());
            report.messages += n;
            report.more = report.more || n == p.batch;
        }
        return report;
    };
    co_return co_await impl_->run<retention_report>(std::move(op), "purge_finished");
}

} // namespace tasker::postgres
