#include <tasker/core/task_graph.hpp>
#include <tasker/model/names.hpp>

#include <algorithm>
#include <unordered_set>

namespace tasker {

batch_policy batch_policy_of(const task_template& t, std::uint32_t worker_step)
{
    const auto& worker = t.steps[worker_step];
    const batch_config* config = worker.batch ? &*worker.batch : nullptr;
    for (auto p : t.graph.parents(worker_step))
        if (!config && t.steps[p].type == step_type::batchable && t.steps[p].batch)
            config = &*t.steps[p].batch;
    if (!config)
        return {};
    return {config->parallelism, config->failure_strategy};
}

void initial_steps(const task_template& t, std::vector<step_status>& out)
{
    out.assign(t.steps.size(), step_status{});
    if (t.dynamic)
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i].created = !t.dynamic->deferred[i];
}

task_graph::task_graph(const task_template& t, std::span<const step_status> steps)
    : tmpl_(t), steps_(steps), workers_(t.steps.size())
{
    for (std::uint32_t i = 0; i < steps_.size(); ++i)
        if (steps_[i].created && tmpl_.steps[definition(i)].type == step_type::batch_worker)
            workers_[definition(i)].push_back(i);
}

bool task_graph::failure_contained(std::uint32_t i) const noexcept
{
    if (step(i).type != step_type::batch_worker)
        return false;
    return batch_policy_of(tmpl_, definition(i)).failure != batch_failure_strategy::fail_fast;
}

bool task_graph::satisfies(std::uint32_t i, std::span<const step_state> states) const noexcept
{
    if (satisfies_dependencies(states[i]))
        return true;
    return states[i] == step_state::error && step(i).type == step_type::batch_worker &&
           batch_policy_of(tmpl_, definition(i)).failure == batch_failure_strategy::continue_on_failure;
}

// A dependency of a convergence that does not exist yet may still come: some decision or
// batchable step that may create it exists and has not finished.
bool task_graph::may_still_be_created(std::uint32_t template_step, std::span<const step_state> states) const
{
    const auto& d = *tmpl_.dynamic;
    for (auto a : tmpl_.graph.ancestors(template_step)) {
        const auto type = tmpl_.steps[a].type;
        if (type != step_type::decision && type != step_type::batchable)
            continue;
        if (!std::binary_search(d.creatable[a].begin(), d.creatable[a].end(), template_step))
            continue;
        if (steps_[a].created && !is_terminal(states[a]) && states[a] != step_state::error)
            return true;
        // Not created: a running decision above it may still create it, and then it may.
        if (!steps_[a].created && may_still_be_created(a, states))
            return true;
    }
    return false;
}

void task_graph::direct_dependencies(std::uint32_t i, std::vector<std::uint32_t>& out) const
{
    for (auto p : tmpl_.graph.parents(definition(i))) {
        if (tmpl_.steps[p].type == step_type::batch_worker) {
            out.insert(out.end(), workers_[p].begin(), workers_[p].end());
        } else if (steps_[p].created) {
            out.push_back(p);
        }
    }
}

bool task_graph::dependencies_met(std::uint32_t i, std::span<const step_state> states) const
{
    const auto def = definition(i);
    const bool convergence = tmpl_.steps[def].type == step_type::deferred_convergence;
    for (auto p : tmpl_.graph.parents(def)) {
        if (tmpl_.steps[p].type == step_type::batch_worker) {
            const auto& ws = workers_[p];
            if (ws.empty() && (!convergence || may_still_be_created(p, states)))
                return false;
            for (auto w : ws)
                if (!satisfies(w, states))
                    return false;
        } else if (steps_[p].created) {
            if (!satisfies(p, states))
                return false;
        } else if (!convergence || may_still_be_created(p, states)) {
            return false;
        }
    }
    return true;
}

std::vector<std::uint32_t> task_graph::ancestors(std::uint32_t i) const
{
    std::vector<bool> seen(steps_.size(), false);
    std::vector<std::uint32_t> todo, direct;
    direct_dependencies(i, todo);
    while (!todo.empty()) {
        const auto a = todo.back();
        todo.pop_back();
        if (seen[a])
            continue;
        seen[a] = true;
        direct.clear();
        direct_dependencies(a, direct);
        todo.insert(todo.end(), direct.begin(), direct.end());
    }
    std::vector<std::uint32_t> out;
    for (std::uint32_t k = 0; k < seen.size(); ++k)
        if (seen[k])
            out.push_back(k);
    return out;
}

namespace {

// Adds the deferred steps below `creator` that the created steps complete: every one whose
// dependencies all exist (or, for a convergence, one of them), the steps on decisions'
// branches and batch_worker steps aside; repeated until nothing more is added.
void close_over(const task_template& t, std::uint32_t creator, std::vector<bool>& exists,
                const std::vector<bool>& has_workers, std::vector<created_step>& out)
{
    const auto& d = *t.dynamic;
    for (bool added = true; added;) {
        added = false;
        for (auto s : d.creatable[creator]) {
            const auto& st = t.steps[s];
            if (exists[s] || d.chosen_only[s] || st.type == step_type::batch_worker)
                continue;
            std::size_t present = 0, parents = 0;
            for (auto p : t.graph.parents(s)) {
                ++parents;
                present += t.steps[p].type == step_type::batch_worker ? has_workers[p] : exists[p];
            }
            if (st.type == step_type::deferred_convergence ? present == 0 : present < parents)
                continue;
            exists[s] = true;
            out.push_back({s, s, st.name, nullptr});
            added = true;
        }
    }
}

struct existing {
    std::vector<bool> steps;       // per template step: created
    std::vector<bool> has_workers; // per template step: a batch_worker step with workers
};

existing existing_of(const task_graph& g)
{
    const auto n = g.workflow().steps.size();
    existing e{std::vector<bool>(n, false), std::vector<bool>(n, false)};
    for (std::uint32_t i = 0; i < n && i < g.size(); ++i)
        e.steps[i] = g.created(i);
    for (std::uint32_t i = 0; i < n; ++i)
        e.has_workers[i] = !g.workers_of(i).empty();
    return e;
}

} // namespace

creation_plan plan_decision(const task_graph& graph, std::uint32_t decider, const decision_outcome& outcome)
{
    const auto& t = graph.workflow();
    const auto& d = *t.dynamic;
    const auto& name = t.steps[decider].name;
    if (outcome.steps.size() > d.limits.max_steps_per_decision)
        return "decision '" + name + "' names " + std::to_string(outcome.steps.size()) +
               " steps; the limit is " + std::to_string(d.limits.max_steps_per_decision) +
               " (creation_limits.max_steps_per_decision)";
    auto e = existing_of(graph);
    std::vector<created_step> out;
    std::vector<std::uint32_t> named;
    for (const auto& step_name : outcome.steps) {
        const auto s = t.step_index(step_name);
        if (!s)
            return "decision '" + name + "' names '" + step_name + "', which is no step of the template";
        const auto& below = d.creatable[decider];
        if (!std::binary_search(below.begin(), below.end(), *s))
            return "decision '" + name + "' names '" + step_name + "', which is not a step below it";
        if (t.steps[*s].type == step_type::batch_worker)
            return "decision '" + name + "' names '" + step_name +
                   "', a batch_worker step: its workers are created by its batchable step";
        if (d.decision_depth[*s] > d.limits.max_decision_depth)
            return "decision '" + name + "' names '" + step_name + "', a decision " +
                   std::to_string(d.decision_depth[*s]) + " decisions deep; the limit is " +
                   std::to_string(d.limits.max_decision_depth) + " (creation_limits.max_decision_depth)";
        if (e.steps[*s] || std::find(named.begin(), named.end(), *s) != named.end())
            continue; // exists already, or named twice: created once
        named.push_back(*s);
    }
    for (auto s : named)
        e.steps[s] = true;
    for (auto s : named)
        for (auto p : t.graph.parents(s))
            if (!(t.steps[p].type == step_type::batch_worker ? e.has_workers[p] : e.steps[p]))
                return "decision '" + name + "' names '" + t.steps[s].name + "', which depends on '" +
                       t.steps[p].name + "': that step does not exist and the outcome does not create it";
    std::sort(named.begin(), named.end());
    for (auto s : named)
        out.push_back({s, s, t.steps[s].name, nullptr});
    close_over(t, decider, e.steps, e.has_workers, out);
    return out;
}

creation_plan plan_batches(const task_graph& graph, std::uint32_t batcher, const batch_outcome& outcome)
{
    const auto& t = graph.workflow();
    const auto& d = *t.dynamic;
    const auto& name = t.steps[batcher].name;
    // The worker template: the one named, or with no batches the batch_worker below this step.
    std::optional<std::uint32_t> worker;
    if (!outcome.batches.empty()) {
        worker = t.step_index(outcome.worker_template);
        if (!worker)
            return "batchable step '" + name + "' names worker template '" + outcome.worker_template +
                   "', which is no step of the template";
    } else {
        for (auto c : t.graph.children(batcher))
            if (t.steps[c].type == step_type::batch_worker) {
                worker = c;
                break;
            }
    }
    if (!worker)
        return "batchable step '" + name + "' has no batch_worker step below it";
    const auto parents = t.graph.parents(*worker);
    if (t.steps[*worker].type != step_type::batch_worker ||
        std::find(parents.begin(), parents.end(), batcher) == parents.end())
        return "batchable step '" + name + "' names worker template '" + t.steps[*worker].name +
               "', which is not a batch_worker step depending on it";
    if (!graph.workers_of(*worker).empty())
        return std::vector<created_step>{}; // its workers exist: a duplicate outcome
    if (outcome.batches.size() > d.limits.max_batches)
        return "batchable step '" + name + "' plans " + std::to_string(outcome.batches.size()) +
               " batches; the limit is " + std::to_string(d.limits.max_batches) + " (creation_limits.max_batches)";
    std::vector<created_step> out;
    std::unordered_set<std::string> ids;
    const auto& worker_name = t.steps[*worker].name;
    auto index = graph.size();
    if (outcome.batches.empty()) {
        const batch_cursor none{"no_op", 0, 0, 0, 0};
        out.push_back({index, *worker, worker_name + "_no_op", make_json(to_json(none))});
    }
    for (const auto& c : outcome.batches) {
        if (!ids.insert(c.batch_id).second)
            return "batchable step '" + name + "' plans batch '" + c.batch_id + "' twice";
        auto worker_step = worker_name + "_" + c.batch_id;
        if (worker_step.size() > max_name_length)
            return "batchable step '" + name + "' plans batch '" + c.batch_id + "': the worker's name '" +
                   worker_step + "' is longer than " + std::to_string(max_name_length) + " characters";
        out.push_back({index++, *worker, std::move(worker_step), make_json(to_json(c))});
    }
    auto e = existing_of(graph);
    e.has_workers[*worker] = true;
    close_over(t, batcher, e.steps, e.has_workers, out);
    return out;
}

} // namespace tasker
