// The worker side of the in-memory store: claims, heartbeats, checkpoints and results.
#include <tasker/inmemory/store.hpp>

#include "task_record.hpp"

#include <tasker/core/claim_verdict.hpp>
#include <tasker/core/task_graph.hpp>
#include <tasker/messaging/queue_name.hpp>

namespace tasker::inmemory {

std::vector<claim_outcome> store::claim_steps_sync(std::span<const claim_request> reqs)
{
    std::vector<claim_outcome> out(reqs.size());
    const time_point now = clock_.now();
    for_each_shard(reqs, [&](shard& sh, std::span<const std::size_t> indices) {
        for (auto k : indices) {
            const auto& req = reqs[k];
            auto& o = out[k];
            auto* t = sh.find(req.ref.task);
            if (!t || req.ref.step >= t->status.size()) {
                o.status = claim_status::not_found;
                continue;
            }
            auto& s = t->status[req.ref.step];
            auto& d = t->data[req.ref.step];
            auto settled = settle_claim(s, step_lease{d.lease_until, d.lease_owner}, req, now);
            o.status = settled.answer;
            if (settled.new_lease) {
                d.lease_until = *settled.lease_until;
                d.lease_owner = req.owner;
            }
            if (settled.failure)
                t->record_failure(req.ref.step, std::move(*settled.failure));
            if (settled.event)
                t->move_step(req.ref.step, *settled.event, now, sh.worker_origin(req.owner));
            if (settled.to_orchestration) {
                sh.outbox.push_back({orchestration_queue(), *settled.to_orchestration, {}});
                sh.changed = true;
            }
            if (settled.answer == claim_status::busy)
                o.retry_in = settled.retry_in;
            if (settled.answer == claim_status::claimed) {
                auto& c = o.claim;
                c.ref = req.ref;
                c.attempt = s.attempts;
                c.tmpl = t->tmpl;
                c.context = t->context;
                if (t->dynamic()) {
                    claim_dynamic(*t, c);
                } else {
                    const auto ancestors = t->tmpl->graph.ancestors(req.ref.step);
                    c.ancestor_results.reserve(ancestors.size());
                    for (auto a : ancestors)
                        c.ancestor_results.emplace_back(a, t->data[a].result);
                }
                c.correlation_id = t->correlation_id;
                c.claimed_at = now;
                c.lease_until = *settled.lease_until;
            }
        }
        flush(sh);
    });
    return out;
}

// What a claim of a step of a task with decision or batch steps carries beyond the plain
// case: its template step, name, input and checkpoint, and its ancestors as the task's graph
// has them now (a convergence's are the workers that were created).
void store::claim_dynamic(const task_record& t, step_claim& c)
{
    const auto i = c.ref.step;
    const auto& d = t.data[i];
    if (t.status[i].definition != step_status::own_index)
        c.definition = t.status[i].definition;
    c.name = d.name();
    c.input = d.input();
    c.checkpoint = d.checkpoint();
    const auto ancestors = task_graph(*t.tmpl, t.status).ancestors(i);
    c.ancestor_results.reserve(ancestors.size());
    c.ancestor_names.reserve(ancestors.size());
    for (auto a : ancestors) {
        c.ancestor_results.emplace_back(a, t.data[a].result);
        c.ancestor_names.push_back(t.step_name(a));
    }
}

std::vector<bool> store::checkpoint_steps_sync(std::span<const step_checkpoint> cps)
{
    std::vector<bool> out(cps.size(), false);
    const time_point now = clock_.now();
    for_each_shard(cps, [&](shard& sh, std::span<const std::size_t> indices) {
        for (auto k : indices) {
            const auto& cp = cps[k];
            auto* t = sh.find(cp.ref.task);
            if (!t || cp.ref.step >= t->status.size() || !extends_lease(t->status[cp.ref.step], cp.attempt))
                continue;
            auto& d = t->data[cp.ref.step];
            d.dynamic_data().checkpoint = cp.data;
            d.lease_until = now + cp.lease;
            out[k] = true;
        }
    });
    return out;
}

std::vector<bool> store::extend_leases_sync(std::span<const lease_extension> exts)
{
    std::vector<bool> out(exts.size(), false);
    const time_point now = clock_.now();
    for_each_shard(exts, [&](shard& sh, std::span<const std::size_t> indices) {
        for (auto k : indices) {
            auto* t = sh.find(exts[k].ref.task);
            if (!t || exts[k].ref.step >= t->status.size())
                continue;
            if (extends_lease(t->status[exts[k].ref.step], exts[k].attempt)) {
                t->data[exts[k].ref.step].lease_until = now + exts[k].lease;
                out[k] = true;
            }
        }
    });
    return out;
}

std::vector<record_status> store::record_results_sync(std::span<step_outcome> outcomes)
{
    std::vector<record_status> out(outcomes.size(), record_status::ignored);
    const time_point now = clock_.now();
    for_each_shard(outcomes, [&](shard& sh, std::span<const std::size_t> indices) {
        for (auto k : indices) {
            auto& o = outcomes[k];
            auto* t = sh.find(o.ref.task);
            if (!t || o.ref.step >= t->status.size())
                continue;
            auto settled = settle_result(t->status[o.ref.step], o);
            if (!settled)
                continue; // too late: nothing is written, `ignored`
            auto& d = t->data[o.ref.step];
            if (settled->failure)
                t->record_failure(o.ref.step, std::move(*settled->failure));
            else
                d.result = std::move(o.result);
            t->move_step(o.ref.step, settled->event, now, sh.worker_origin(d.lease_owner));
            sh.outbox.push_back({orchestration_queue(), settled->to_orchestration, {}});
            sh.changed = true;
            out[k] = record_status::recorded;
        }
        flush(sh);
    });
    return out;
}

} // namespace tasker::inmemory
