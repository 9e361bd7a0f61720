#pragma once

#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/retention.hpp>

namespace tasker {

/// Tasks whose last change came before this time are old enough for pass `p` run at `now`
/// (`p.as_of` when it is set).
time_point retention_cutoff(const retention_pass& p, time_point now) noexcept;

/// Whether retention may take a task: it is finished, its last change came before `cutoff`,
/// and it has no open dead-letter entry (a task in error someone is to look at stays).
/// Pure: every store decides with it (PostgreSQL in the same terms, in SQL).
constexpr bool may_retire(task_state s, time_point last_change, time_point cutoff, bool open_dead_letter) noexcept
{
    return is_terminal(s) && last_change < cutoff && !open_dead_letter;
}

/// How far ahead of another host's clock a task's id (uuid v7, made where the task was
/// submitted) may be, for `retention_id_bound`.
inline constexpr duration retention_clock_margin = std::chrono::minutes(10);

/// A task created after `cutoff` cannot have finished before it, so every task retention may
/// take has an id below this bound (a version-7 id `retention_clock_margin` past `cutoff`):
/// a search for old tasks in id order stops there instead of reading every young one.
uuid retention_id_bound(time_point cutoff) noexcept;

} // namespace tasker
