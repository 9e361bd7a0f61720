#pragma once

#include <tasker/core/creation_outcomes.hpp>
#include <tasker/core/decision.hpp>
#include <tasker/model/task_template.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace tasker {

/// What the decision core reads of a batch worker step's `batch_config` (its own, else its
/// batchable step's).
struct batch_policy {
    std::uint32_t parallelism = 0; ///< batches running at once; 0: no bound
    batch_failure_strategy failure = batch_failure_strategy::fail_fast;
};

batch_policy batch_policy_of(const task_template& t, std::uint32_t worker_step);

/// The steps a task has now, for a template with decision or batch steps: which exist, what
/// each depends on, and what an outcome creates. A template step depends on the steps its
/// template names; a dependency on a batch_worker step means every worker created from it;
/// a `deferred_convergence` step waits only for the dependencies that were created, once no
/// running decision or batchable step can create more of them. Built per use from the
/// template and the steps' status; pure.
class task_graph {
public:
    task_graph(const task_template& t, std::span<const step_status> steps);

    const task_template& workflow() const noexcept { return tmpl_; }
    std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(steps_.size()); }
    bool created(std::uint32_t i) const noexcept { return steps_[i].created; }
    std::uint32_t definition(std::uint32_t i) const noexcept { return steps_[i].definition_or(i); }
    const step_template& step(std::uint32_t i) const noexcept { return tmpl_.steps[definition(i)]; }

    /// Whether a step in `states[i]` counts as done for the steps depending on it: complete,
    /// resolved, or a failed batch worker whose strategy is `continue_on_failure`.
    bool satisfies(std::uint32_t i, std::span<const step_state> states) const noexcept;
    /// Whether every dependency of step `i` is satisfied in `states`.
    bool dependencies_met(std::uint32_t i, std::span<const step_state> states) const;
    /// Whether a failure of step `i` leaves the other steps running (a batch worker whose
    /// strategy is `continue_on_failure` or `isolate`).
    bool failure_contained(std::uint32_t i) const noexcept;
    /// The steps `i` depends on now, directly or not, in index order: whose results its
    /// handler sees.
    std::vector<std::uint32_t> ancestors(std::uint32_t i) const;
    /// The workers created from batch_worker step `worker` so far.
    std::span<const std::uint32_t> workers_of(std::uint32_t worker) const noexcept { return workers_[worker]; }

private:
    void direct_dependencies(std::uint32_t i, std::vector<std::uint32_t>& out) const;
    bool may_still_be_created(std::uint32_t template_step, std::span<const step_state> states) const;

    const task_template& tmpl_;
    std::span<const step_status> steps_;
    std::vector<std::vector<std::uint32_t>> workers_; // per template step: its workers
};

/// The status a new task of `t` starts with, index for index with its template's steps: all
/// pending, and for a template with decision or batch steps the deferred ones not created.
void initial_steps(const task_template& t, std::vector<step_status>& out);

/// What an outcome creates, in creation order, or why it is refused.
using creation_plan = std::variant<std::vector<created_step>, std::string>;

/// What decision step `decider`'s `outcome` creates in a task in `graph`: the steps it names,
/// and every deferred step below `decider` off the decisions' branches all of whose
/// dependencies then exist (a convergence needs one). Refused, with the reason: a name that is no step, not below `decider`, a
/// batch worker template, beyond `max_steps_per_decision` or `max_decision_depth`, or a
/// named step whose dependencies would not all exist. Steps that exist already are not
/// created again.
creation_plan plan_decision(const task_graph& graph, std::uint32_t decider, const decision_outcome& outcome);

/// What batchable step `batcher`'s `outcome` creates: one worker per cursor from
/// `outcome.worker_template` (which must be a batch_worker step below `batcher`), at indexes
/// from `graph.size()`, then what the decision rule above adds. No batches: one no-op worker
/// (an empty cursor), which the core completes at once. Refused beyond `max_batches`, for a
/// repeated batch id, or for a worker template that is not `batcher`'s.
creation_plan plan_batches(const task_graph& graph, std::uint32_t batcher, const batch_outcome& outcome);

} // namespace tasker
