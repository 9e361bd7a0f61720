#pragma once

#include <tasker/core/staleness.hpp>
#include <tasker/error.hpp>
#include <tasker/model/template_key.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/change_origin.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace tasker {

/// One pass of staleness detection over a store (`task_store::sweep_stale`).
struct staleness_sweep {
    /// Limits for templates that set none of their own (per limit: a template's own wins).
    lifecycle_limits defaults{};
    /// At most this many tasks are reported (and acted on) per pass, the most overdue first.
    std::size_t limit = 100;
    /// Report what the pass would do; change nothing.
    bool dry_run = false;
    /// Report tasks that used at least this share of their nearest limit: 1 reports the stale
    /// ones only; 0.8 also those approaching a limit (the staleness view). Only tasks past a
    /// limit are acted on. In (0, 1].
    double report_from = 1.0;
    /// Who runs the pass (`orchestrator:<name>`), recorded on the transitions it makes.
    change_origin origin;
    /// Judge as of this time instead of the store's clock (the database server's, for
    /// PostgreSQL): an orchestrator on virtual time in tests, or a "what if" report.
    std::optional<time_point> as_of;
};

/// A task the pass found.
struct stale_task {
    task_id task;
    template_key key;
    task_state state = task_state::pending; ///< when it was judged
    staleness_verdict verdict;
    /// It was moved to error just now (its template's action is `dlq` or `error`). False in a
    /// dry run, for action `none`, for a task only approaching its limit, and for one another
    /// pass got to first.
    bool acted = false;
};

/// Whether `s` is a usable pass: limit in 1..10000, report_from in (0, 1], defaults valid.
/// `errc::invalid_request` naming what is wrong.
result<void> check_sweep(const staleness_sweep& s);

} // namespace tasker
