#pragma once

#include <tasker/core/decision.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/store/step_outcome.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tasker {

/// What a dead-letter entry says about the task that gave up.
struct dead_letter_summary {
    std::string reason;                    ///< one clause per failed step, joined by "; "
    std::vector<std::string> failed_steps; ///< their names, in the decision's order
};

/// The dead-letter entry for a decision that ended a task in error (`decision::dead_letter`):
/// `failed` are the decision's `failed_steps`, `failures[k]` the failure recorded for
/// `failed[k]` (null if none). A clause reads "step 'charge' failed after 3 attempts
/// (retryable): card declined".
/// `step_names`: the task's step names by index when they are not all its template's (batch
/// workers); empty otherwise.
dead_letter_summary summarize_dead_letter(const task_template& tmpl, std::span<const step_status> steps,
                                          std::span<const std::uint32_t> failed,
                                          std::span<const step_failure* const> failures,
                                          std::span<const std::string> step_names = {});

} // namespace tasker
