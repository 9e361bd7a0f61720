#include "store/store_state.hpp"

#include <tasker/core/claim_verdict.hpp>
#include <tasker/core/task_graph.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <tuple>

// The worker side: claims, heartbeats and results. Each is one transaction: lock the rows of
// the tasks involved (in id order), settle each request with the core's rules (settle_claim,
// extends_lease, settle_result), then write what they return with tasker.commit_changes.

namespace tasker::postgres {

using namespace detail;

namespace {

// The context of each task with a claimed step, and the results of the claimed steps'
// ancestors (all complete or resolved: they no longer change).
constexpr statement payload{
    "tasker_claim_payload",
    "SELECT t.id, -1, t.context::text FROM tasker.tasks AS t WHERE t.id = ANY($1::uuid[]) "
    "UNION ALL "
    "SELECT s.task_id, s.idx, s.result::text FROM jsonb_to_recordset($2::jsonb) AS a(task uuid, step integer) "
    "JOIN tasker.steps AS s ON s.task_id = a.task AND s.idx = a.step"};

// A claimed batch worker's cursor and last checkpoint.
constexpr statement batch_state{
    "tasker_claim_batch_state",
    "SELECT s.task_id, s.idx, s.input::text, s.checkpoint::text "
    "FROM jsonb_to_recordset($1::jsonb) AS a(task uuid, step integer) "
    "JOIN tasker.steps AS s ON s.task_id = a.task AND s.idx = a.step"};

// The steps whose results a claim of step `i` carries: its ancestors in the template's
// graph, or, for a task with decision or batch steps, in the task's graph as it is now.
std::vector<std::uint32_t> claim_ancestors(const task_row& t, std::uint32_t i)
{
    if (t.dynamic())
        return task_graph(*t.tmpl, t.status).ancestors(i);
    const auto a = t.tmpl->graph.ancestors(i);
    return {a.begin(), a.end()};
}

} // namespace

awaitable<result<std::vector<claim_outcome>>> store::claim_steps(std::vector<claim_request> reqs)
{
    auto op = [impl = impl_.get(), reqs = std::move(reqs)](pqxx::connection& c) -> result<std::vector<claim_outcome>> {
        write_transaction tx(c);
        return impl->claim(tx, reqs);
    };
    co_return co_await impl_->run<std::vector<claim_outcome>>(std::move(op), "claim_steps");
}

result<std::vector<claim_outcome>> store::impl::claim(write_transaction& tx, const std::vector<claim_request>& reqs)
{
    std::vector<claim_outcome> out(reqs.size());
    auto [rows, now_us] = lock_tasks(tx, task_ids(reqs, [](const claim_request& r) { return r.ref.task; }));
    changeset cs(now_us, config.route);
    // One worker's claims, usually: its actor is the change set's; another's names its own.
    const uuid first_owner = reqs.empty() ? uuid{} : reqs.front().owner;
    cs.set_origin(change_origin{worker_actor(first_owner), {}, nullptr});
    const time_point now = from_us(now_us);
    std::vector<std::size_t> claimed;
    for (std::size_t k = 0; k < reqs.size(); ++k) {
        const auto& req = reqs[k];
        auto& o = out[k];
        auto* t = find_row(rows, req.ref.task);
        if (!t || req.ref.step >= t->status.size()) {
            o.status = claim_status::not_found;
            continue;
        }
        auto& s = t->status[req.ref.step];
        auto& r = t->steps[req.ref.step];
        const step_lease lease{r.lease_until_us ? std::optional(from_us(*r.lease_until_us)) : std::nullopt,
                               r.lease_owner};
        auto settled = settle_claim(s, lease, req, now);
        o.status = settled.answer;
        if (settled.new_lease) {
            const auto lease_us = to_us(req.lease);
            r.new_lease_us = lease_us;
            r.lease_until_us = now_us + lease_us;
            r.lease_owner = req.owner;
        }
        if (settled.failure) {
            r.failure = std::move(settled.failure);
            r.set_failure = true;
        }
        if (settled.event) {
            const std::string other = req.owner == first_owner ? std::string() : worker_actor(req.owner);
            cs.move_step(*t, req.ref.step, *settled.event, other.empty() ? nullptr : &other);
        }
        if (settled.to_orchestration)
            cs.send(orchestration_queue(), *settled.to_orchestration);
        if (settled.answer == claim_status::busy)
            o.retry_in = settled.retry_in;
        if (settled.answer == claim_status::claimed) {
            o.claim.ref = req.ref;
            o.claim.attempt = s.attempts;
            o.claim.correlation_id = t->correlation_id;
            o.claim.claimed_at = now;
            o.claim.lease_until = from_us(*r.lease_until_us);
            claimed.push_back(k);
        }
    }

    if (!claimed.empty()) {
        std::vector<task_row*> claiming;
        for (auto k : claimed)
            claiming.push_back(find_row(rows, out[k].claim.ref.task));
        if (auto loaded = load_templates(tx.statements(), claiming); !loaded)
            return loaded.error();
        std::vector<task_id> with_claims;
        json::array ancestors;
        json::array batch_steps;
        std::vector<std::vector<std::uint32_t>> ancestors_of(out.size());
        for (auto k : claimed) {
            const auto* t = find_row(rows, out[k].claim.ref.task);
            with_claims.push_back(t->id);
            ancestors_of[k] = claim_ancestors(*t, out[k].claim.ref.step);
            for (auto a : ancestors_of[k])
                ancestors.push_back(json::object{{"task", t->id.to_string()}, {"step", a}});
            if (t->status[out[k].claim.ref.step].definition != step_status::own_index)
                batch_steps.push_back(json::object{{"task", t->id.to_string()}, {"step", out[k].claim.ref.step}});
        }
        std::sort(with_claims.begin(), with_claims.end());
        with_claims.erase(std::unique(with_claims.begin(), with_claims.end()), with_claims.end());
        std::map<task_id, json_ptr> contexts;
        std::map<std::pair<task_id, std::uint32_t>, json_ptr> results;
        for (const auto& row : exec(tx.statements(), payload, pq::array_literal(with_claims), json::serialize(ancestors))) {
            const auto id = parse_uuid(row[0]);
            const auto step = row[1].as<int>();
            if (step < 0)
                contexts[id] = parse_json_field(row[2]);
            else
                results[{id, static_cast<std::uint32_t>(step)}] = parse_json_field(row[2]);
        }
        std::map<std::pair<task_id, std::uint32_t>, std::pair<json_ptr, json_ptr>> batches; // input, checkpoint
        if (!batch_steps.empty())
            for (const auto& row : exec(tx.statements(), batch_state, json::serialize(batch_steps)))
                batches[{parse_uuid(row[0]), row[1].as<std::uint32_t>()}] = {parse_json_field(row[2]),
                                                                               parse_json_field(row[3])};
        for (auto k : claimed) {
            auto& claim = out[k].claim;
            const auto* t = find_row(rows, claim.ref.task);
            const auto i = claim.ref.step;
            claim.tmpl = t->tmpl;
            claim.context = contexts[claim.ref.task];
            claim.ancestor_results.reserve(ancestors_of[k].size());
            for (auto a : ancestors_of[k])
                claim.ancestor_results.emplace_back(a, results[{claim.ref.task, a}]);
            if (!t->dynamic())
                continue;
            for (auto a : ancestors_of[k])
                claim.ancestor_names.push_back(t->step_name(a));
            if (t->status[i].definition != step_status::own_index) {
                claim.definition = t->status[i].definition;
                claim.name = t->steps[i].name;
                std::tie(claim.input, claim.checkpoint) = batches[{claim.ref.task, i}];
            }
        }
    }
    commit(tx, cs, row_pointers(rows));
    return out;
}

awaitable<result<std::vector<bool>>> store::extend_leases(std::vector<lease_extension> exts)
{
    // A heartbeat changes neither state nor history: only the lease of the attempt it names,
    // if that attempt still runs (`extends_lease`; the SQL repeats it as the compare-and-set).
    static constexpr statement extend{
        "tasker_extend_leases",
        "UPDATE tasker.steps AS s SET lease_until = clock_timestamp() + e.lease_us * interval '1 microsecond' "
        "FROM jsonb_to_recordset($1::jsonb) AS e(task uuid, step integer, attempt integer, lease_us bigint) "
        "WHERE s.task_id = e.task AND s.idx = e.step AND s.state = 'in_progress' AND s.attempts = e.attempt "
        "RETURNING s.task_id, s.idx, s.attempts"};

    auto op = [impl = impl_.get(), exts = std::move(exts)](pqxx::connection& c) -> result<std::vector<bool>> {
        std::vector<bool> out(exts.size(), false);
        if (exts.empty())
            return out;
        write_transaction tx(c);
        // The task locks first, like every writer: no lock cycle with a writer of these steps.
        auto [rows, now_us] =
            impl->lock_tasks(tx, task_ids(exts, [](const lease_extension& e) { return e.ref.task; }));
        json::array extending;
        for (const auto& e : exts) {
            const auto* t = find_row(rows, e.ref.task);
            if (t && e.ref.step < t->status.size() && extends_lease(t->status[e.ref.step], e.attempt))
                extending.push_back(json::object{{"task", e.ref.task.to_string()},
                                                 {"step", e.ref.step},
                                                 {"attempt", e.attempt},
                                                 {"lease_us", to_us(e.lease)}});
        }
        if (!extending.empty())
            for (const auto& row : exec(tx.statements(), extend, json::serialize(extending))) {
                const auto id = parse_uuid(row[0]);
                const auto step = row[1].as<std::uint32_t>();
                const auto attempt = row[2].as<std::uint32_t>();
                for (std::size_t k = 0; k < exts.size(); ++k)
                    if (exts[k].ref.task == id && exts[k].ref.step == step && exts[k].attempt == attempt)
                        out[k] = true;
            }
        tx.commit_with({});
        return out;
    };
    co_return co_await impl_->run<std::vector<bool>>(std::move(op), "extend_leases");
}

awaitable<result<std::vector<bool>>> store::checkpoint_steps(std::vector<step_checkpoint> cps)
{
    // One statement, in autocommit: the checkpoint and the lease of the attempt that runs,
    // `extends_lease`'s rule as the compare-and-set. It locks only the step's row, and waits
    // for nothing while it holds it, so it needs no task lock (which every worker of a
    // batch would queue behind) to stay out of lock cycles.
    static constexpr statement keep{
        "tasker_checkpoint_steps",
        "UPDATE tasker.steps AS s SET checkpoint = e.data::json, "
        "lease_until = clock_timestamp() + e.lease_us * interval '1 microsecond' "
        "FROM jsonb_to_recordset($1::jsonb) AS e(task uuid, step integer, attempt integer, lease_us bigint, data text) "
        "WHERE s.task_id = e.task AND s.idx = e.step AND s.state = 'in_progress' AND s.attempts = e.attempt "
        "RETURNING s.task_id, s.idx, s.attempts"};

    auto op = [cps = std::move(cps)](pqxx::connection& c) -> result<std::vector<bool>> {
        std::vector<bool> out(cps.size(), false);
        if (cps.empty())
            return out;
        json::array keeping;
        for (const auto& e : cps)
            keeping.push_back(json::object{{"task", e.ref.task.to_string()},
                                           {"step", e.ref.step},
                                           {"attempt", e.attempt},
                                           {"lease_us", to_us(e.lease)},
                                           {"data", e.data ? json::serialize(*e.data) : std::string("null")}});
        pqxx::nontransaction tx(c);
        for (const auto& row : exec(tx, keep, json::serialize(keeping))) {
            const auto id = parse_uuid(row[0]);
            const auto step = row[1].as<std::uint32_t>();
            const auto attempt = row[2].as<std::uint32_t>();
            for (std::size_t k = 0; k < cps.size(); ++k)
                if (cps[k].ref.task == id && cps[k].ref.step == step && cps[k].attempt == attempt)
                    out[k] = true;
        }
        return out;
    };
    co_return co_await impl_->run<std::vector<bool>>(std::move(op), "checkpoint_steps");
}

awaitable<result<std::vector<record_status>>> store::record_results(std::vector<step_outcome> outcomes)
{
    auto op = [impl = impl_.get(),
               outcomes = std::move(outcomes)](pqxx::connection& c) mutable -> result<std::vector<record_status>> {
        std::vector<record_status> out(outcomes.size(), record_status::ignored);
        write_transaction tx(c);
        auto [rows, now_us] =
            impl->lock_tasks(tx, task_ids(outcomes, [](const step_outcome& o) { return o.ref.task; }));
        changeset cs(now_us, impl->config.route);
        // The worker of a result is the owner of the claim it answers.
        std::optional<uuid> first_owner;
        for (std::size_t k = 0; k < outcomes.size(); ++k) {
            auto& o = outcomes[k];
            auto* t = find_row(rows, o.ref.task);
            if (!t || o.ref.step >= t->status.size())
                continue;
            auto settled = settle_result(t->status[o.ref.step], o);
            if (!settled)
                continue; // too late: nothing is written, `ignored`
            auto& r = t->steps[o.ref.step];
            if (settled->failure) {
                r.failure = std::move(settled->failure);
                r.set_failure = true;
            } else {
                r.result = std::move(o.result);
                r.set_result = true;
            }
            if (!first_owner) {
                first_owner = r.lease_owner;
                cs.set_origin(change_origin{worker_actor(r.lease_owner), {}, nullptr});
            }
            const std::string other = r.lease_owner == *first_owner ? std::string() : worker_actor(r.lease_owner);
            cs.move_step(*t, o.ref.step, settled->event, other.empty() ? nullptr : &other);
            cs.send(orchestration_queue(), settled->to_orchestration);
            out[k] = record_status::recorded;
        }
        commit(tx, cs, row_pointers(rows));
        return out;
    };
    co_return co_await impl_->run<std::vector<record_status>>(std::move(op), "record_results");
}

} // namespace tasker::postgres
