#include <tasker/model/dynamic_structure.hpp>
#include <tasker/model/task_template.hpp>

#include <algorithm>
#include <memory>
#include <string>

namespace tasker {

namespace {

bool has_type(const task_template& t, step_type type)
{
    return std::any_of(t.steps.begin(), t.steps.end(), [&](const step_template& s) { return s.type == type; });
}

std::string path_of(std::size_t i) { return "steps[" + std::to_string(i) + "]"; }

} // namespace

void build_dynamic_structure(task_template& t, const creation_limits& limits, std::vector<problem>& problems)
{
    if (!has_type(t, step_type::decision) && !has_type(t, step_type::batchable) &&
        !has_type(t, step_type::batch_worker))
        return;
    const auto n = static_cast<std::uint32_t>(t.steps.size());
    const auto& g = t.graph;
    auto d = std::make_shared<dynamic_structure>();
    d->deferred.assign(n, false);
    d->chosen_only.assign(n, false);
    d->creatable.resize(n);
    d->decision_depth.assign(n, 0);
    d->limits = limits;

    for (std::uint32_t i = 0; i < n; ++i) {
        const auto& s = t.steps[i];
        bool deferred = s.type == step_type::batch_worker;
        std::uint32_t depth = s.type == step_type::decision ? 1 : 0;
        for (auto a : g.ancestors(i)) {
            const auto type = t.steps[a].type;
            deferred = deferred || type == step_type::decision || type == step_type::batch_worker;
            depth += type == step_type::decision;
        }
        d->deferred[i] = deferred;
        d->decision_depth[i] = depth;
    }
    // A branch runs from a decision down to a convergence: parents come first in topological
    // order, so each step's parents are settled when it is.
    for (auto i : g.topological_order()) {
        if (t.steps[i].type == step_type::deferred_convergence)
            continue;
        for (auto p : g.parents(i))
            d->chosen_only[i] = d->chosen_only[i] || t.steps[p].type == step_type::decision || d->chosen_only[p];
    }
    for (std::uint32_t i = 0; i < n; ++i)
        if (d->deferred[i])
            for (auto a : g.ancestors(i))
                if (t.steps[a].type == step_type::decision || t.steps[a].type == step_type::batchable)
                    d->creatable[a].push_back(i);

    for (std::uint32_t i = 0; i < n; ++i) {
        const auto& s = t.steps[i];
        if (s.type == step_type::batch_worker) {
            const auto batchable = std::count_if(g.parents(i).begin(), g.parents(i).end(), [&](std::uint32_t p) {
                return t.steps[p].type == step_type::batchable;
            });
            if (batchable != 1)
                problems.push_back({path_of(i) + ".dependencies", 0, 0,
                                    "batch_worker step '" + s.name +
                                        "' must depend on exactly one batchable step, the one that creates its "
                                        "workers (it depends on " +
                                        std::to_string(batchable) + ")"});
        }
        if (s.type == step_type::batchable &&
            std::none_of(g.children(i).begin(), g.children(i).end(),
                         [&](std::uint32_t c) { return t.steps[c].type == step_type::batch_worker; }))
            problems.push_back({path_of(i) + ".type", 0, 0,
                                "batchable step '" + s.name +
                                    "' has no batch_worker step depending on it: its batches would have no workers"});
        if (s.type == step_type::decision && d->creatable[i].empty())
            problems.push_back({path_of(i) + ".type", 0, 0,
                                "decision step '" + s.name + "' has no steps below it for its outcome to create"});
    }
    t.dynamic = std::move(d);
}

} // namespace tasker
