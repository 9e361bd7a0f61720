#pragma once

#include <tasker/core/decision.hpp>

#include <span>
#include <vector>

namespace tasker {

/// Walks a decision's state changes in the order the core made them (their `seq`), which is
/// the order a task's history records them: `on_task(change)` for a task change,
/// `on_step(change)` for a step change once it is applied to `steps[change.step]`
/// (`apply_step_change`). Every store commits a decision through this.
template <class OnTask, class OnStep>
void replay_changes(const decision& d, std::span<step_status> steps, OnTask&& on_task, OnStep&& on_step)
{
    auto tc = d.task_changes.begin();
    auto sc = d.step_changes.begin();
    while (tc != d.task_changes.end() || sc != d.step_changes.end()) {
        if (sc == d.step_changes.end() || (tc != d.task_changes.end() && tc->seq < sc->seq)) {
            on_task(*tc);
            ++tc;
        } else {
            apply_step_change(steps[sc->step], *sc);
            on_step(*sc);
            ++sc;
        }
    }
}

/// Adds the steps a decision created to `steps`, as every store must before it replays the
/// decision's changes: a template step becomes created, a batch worker is appended (its
/// index is the next one). `on_created(step)` follows each, for what else the store keeps.
template <class OnCreated>
void add_created_steps(const decision& d, std::vector<step_status>& steps, OnCreated&& on_created)
{
    for (const auto& c : d.created_steps) {
        if (c.step >= steps.size()) {
            steps.resize(c.step + 1);
            steps[c.step].definition = c.definition;
        }
        steps[c.step].created = true;
        on_created(c);
    }
}

} // namespace tasker
