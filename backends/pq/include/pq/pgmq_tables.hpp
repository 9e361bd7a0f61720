#pragma once
// Internal to tasker's PostgreSQL backends (never installed): the statements on a pgmq queue's
// tables that both the PGMQ broker and the store (on the PGMQ route) run.
//
// They work on the queue tables directly instead of calling pgmq.read, pgmq.send_batch and
// pgmq.archive: those build their SQL per call, and PostgreSQL plans it again every time,
// where these are prepared once per connection. The tables' layout is part of the
// pgmq API (pgmq.q_<queue>, pgmq.a_<queue>: msg_id identity, read_ct, enqueued_at, vt, message,
// headers), the same in the real extension and the bundled schema, and the statements do
// exactly what the functions do.

#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>

#include <pqxx/pqxx>

#include <string>
#include <string_view>
#include <vector>

namespace tasker::pq {

/// `d` in whole seconds, rounded up (never shortened), at least `at_least`: pgmq counts
/// visibility timeouts and delays in seconds.
int whole_seconds(duration d, int at_least);
time_point from_epoch_seconds(double s);

/// Makes the statement's own transaction commit without waiting for its WAL flush
/// (`set_config(..., true)` lasts for that transaction). The broker's reads, acks, nacks and
/// lease extensions use it: lost in a database crash, they only make a message visible again
/// (delivered once more, which every consumer handles: at-least-once). Sends keep synchronous
/// commit: a send that returned is durable.
inline constexpr char async_commit_setting[] = "set_config('synchronous_commit', 'off', true)";

/// `pgmq."<kind>_<queue>"` (kind "q": the queue, "a": its archive). Queue names are validated
/// (letters, digits, `_`), so quoting is only for the identifier rules.
std::string pgmq_table(const std::string& queue, std::string_view kind);

/// The name of the statement doing `what` (at most 7 characters) on `queue`. The server cuts
/// names at 63 bytes, so the prefix is short enough that the longest queue names still give
/// distinct names.
std::string pgmq_statement(std::string_view what, const std::string& queue);

/// pgmq.read: the oldest visible messages of `queue` ($1 at most) not locked by another reader,
/// made invisible for $2 seconds. Rows: msg_id, read_ct, enqueued_at (epoch seconds), message
/// (text), by msg_id. `async_commit`: the statement is its own transaction and need not wait
/// for the disk (async_commit_setting); off inside a transaction that changes more than this.
std::string pgmq_read_sql(const std::string& queue, bool async_commit);

/// pgmq.archive: the messages of `queue` whose msg_id is in $1 (bigint[]) move to its archive.
/// `async_commit` as for `pgmq_read_sql`.
std::string pgmq_archive_sql(const std::string& queue, bool async_commit);

/// The deliveries of `rows` (a `pgmq_read_sql` result), in order. A message that is not one
/// of tasker's (sent to the queue by something else) is not delivered: its msg_id goes to
/// `foreign`, for the caller to archive, so that it neither stops the queue nor comes back.
std::vector<delivery> deliveries_from_rows(const pqxx::result& rows, std::vector<delivery_id>& foreign);

/// Inserts the messages in $1, a JSON array of {ord, body, delay_us}, into `queue`, in `ord`
/// order, each visible after its delay, and NOTIFYs the queue's channel (tasker_<queue>) at
/// commit.
std::string pgmq_send_sql(const std::string& queue);

} // namespace tasker::pq
