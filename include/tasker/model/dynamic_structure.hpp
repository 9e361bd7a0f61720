#pragma once

#include <tasker/error.hpp>

#include <cstdint>
#include <vector>

namespace tasker {

struct task_template;

/// Bounds on what decision and batchable steps may create in one task. An outcome beyond
/// a bound fails its step permanently, saying which bound, and creates nothing.
struct creation_limits {
    std::uint32_t max_steps_per_decision = 100; ///< step names in one decision outcome
    std::uint32_t max_decision_depth = 8;       ///< decisions below decisions, the outermost counted
    std::uint32_t max_batches = 10'000;         ///< batch workers one batchable outcome creates
};

/// Which steps of a template with `decision`, `batchable` or `batch_worker` steps exist when
/// a task starts, and which steps each decision or batchable step may create. Filled by
/// `validate_template` from the template's graph; templates of `standard` and
/// `deferred_convergence` steps only have none (every step exists from the start).
///
/// A step is *deferred* (created later, by an outcome) when a decision or a batch worker is
/// among its ancestors, and a `batch_worker` step is a template for the workers a batchable
/// step creates: it never runs itself.
struct dynamic_structure {
    std::vector<bool> deferred;
    /// On a decision's branch (below a decision, above any convergence): created only when
    /// an outcome names it. The steps below a convergence follow it.
    std::vector<bool> chosen_only;
    /// Per decision or batchable step: the deferred steps below it, in index order (the
    /// steps its outcome may lead to). Empty for other steps.
    std::vector<std::vector<std::uint32_t>> creatable;
    /// Per step: the decision steps among its ancestors and itself.
    std::vector<std::uint32_t> decision_depth;
    creation_limits limits;
};

/// Fills `t.dynamic` when `t` (whose `graph` is built) has decision, batchable or
/// batch_worker steps, after checking their shape; each problem goes to `problems`, located
/// by the step's path: a batch worker depends on exactly one batchable step, a batchable
/// step has a batch worker below it, a decision has steps below it to create.
void build_dynamic_structure(task_template& t, const creation_limits& limits, std::vector<problem>& problems);

} // namespace tasker
