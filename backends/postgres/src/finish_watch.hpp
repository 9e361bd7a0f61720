#pragma once
// Who waits for which task to finish, and what the listener heard.

#include <tasker/asio.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <utility>

namespace tasker::postgres::detail {

/// Matches the tasks a listener hears of (`tasker$finished` notifications name the tasks a
/// commit ended) with the coroutines waiting for them, so a waiter wakes for its own task
/// only: a client waiting on many tasks reads each again once, not at every task's end.
///
/// Every event has a number (`epoch()`). A waiter takes the epoch, looks at its task, and if
/// it has not finished, `wait(id, epoch, deadline)`: that ends at once if its task was heard
/// of since that epoch (kept for the last `remembered` tasks; older than that, it ends at
/// once too, to look again), or if the subscription began or broke since (a notification
/// may have been missed), else on the next of those events, or at `deadline`.
class finish_watch {
public:
    static constexpr std::size_t remembered = 4096;

    std::uint64_t epoch() const;

    /// The listener heard that `tasks` finished.
    void finished(std::span<const task_id> tasks);
    /// The listener subscribed, or lost its connection: everyone looks again.
    void look_again();

    awaitable<void> wait(task_id id, std::uint64_t seen, time_point deadline);

private:
    struct waiting {
        tasker::detail::waiter_list list;
        std::size_t users = 0;
    };

    /// Whether `id` needs no wait after `seen` (heard of, or everyone must look). Locked.
    bool heard_since(const task_id& id, std::uint64_t seen) const;

    mutable std::mutex mutex_;
    std::uint64_t epoch_ = 0;
    std::uint64_t last_look_again_ = 0;                    // epoch of the last look_again()
    std::uint64_t forgotten_ = 0;                          // epoch of the newest entry dropped
    std::deque<std::pair<std::uint64_t, task_id>> heard_; // (epoch, task), oldest first
    std::unordered_map<task_id, std::unique_ptr<waiting>> waiting_;
};

} // namespace tasker::postgres::detail
