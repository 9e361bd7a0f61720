#pragma once

#include <tasker/error.hpp>
#include <tasker/model/time.hpp>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace tasker {

/// What retention does with a finished task it takes away.
enum class retention_mode : std::uint8_t {
    remove,  ///< delete the task, its steps and its history
    archive, ///< move them to the archive tables (PostgreSQL: tasker.archived_*)
};

/// "delete", "archive".
std::string_view to_string(retention_mode m) noexcept;
std::optional<retention_mode> retention_mode_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, retention_mode m);

/// One batch of retention over a store (`task_store::purge_finished`): the finished tasks
/// (complete, error, cancelled, resolved_manually) whose last change is older than
/// `finished_for`, oldest first, at most `batch` of them. A task in error whose dead-letter
/// entry is still open (pending, investigating) is kept: someone may yet fix it. Dead-letter
/// entries are never removed; their snapshots outlive the task.
struct retention_pass {
    /// How long a finished task stays. At least one second.
    duration finished_for = std::chrono::hours(24 * 30);
    retention_mode mode = retention_mode::remove;
    /// Tasks taken per call, 1 to 10000: small batches keep each transaction short, so the
    /// work of live tasks never waits behind retention.
    std::size_t batch = 500;
    /// Judge ages as of this time instead of the store's clock (the database server's, for
    /// PostgreSQL): tests on virtual time, or a pass that catches up on a backlog early.
    std::optional<time_point> as_of;
};

/// What one batch did.
struct retention_report {
    std::size_t removed = 0; ///< tasks deleted or archived
    /// Messages that ran, deleted from the broker's archive where the store keeps one
    /// (PostgreSQL: PGMQ's `pgmq.a_<queue>` tables), by the same age, up to `batch` per queue.
    std::size_t messages = 0;
    /// A batch was full: more is due now, call again.
    bool more = false;
};

/// Whether `p` is a usable pass: `finished_for` at least one second, `batch` in 1..10000.
/// `errc::invalid_request` naming what is wrong.
result<void> check_retention(const retention_pass& p);

} // namespace tasker
