#include <tasker/postgres/store.hpp>

#include "store_impl.hpp"

#include "pq/pgmq_tables.hpp"

#include <tasker/core/claim_verdict.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>

// The worker and orchestrator side of the store: claims, heartbeats, results, orchestration
// events and operator actions. Each is one transaction: lock the rows of the tasks involved
// (in id order), read their steps, decide in C++ exactly as the in-memory store does (the
// decision core for orchestration and operators, the step machine for claims and results),
// then write every change, its history and its messages with tasker.commit_changes.

namespace tasker::postgres {

using namespace detail;

namespace {

/// The distinct task ids of `items`, sorted: the order every writer locks tasks in.
template <class Items, class Id>
std::vector<task_id> task_ids(const Items& items, Id&& id_of)
{
    std::vector<task_id> ids;
    ids.reserve(items.size());
    for (const auto& item : items)
        ids.push_back(id_of(item));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

/// The row of task `id` among `rows` (sorted by id), or nullptr.
task_row* find_row(std::vector<task_row>& rows, const task_id& id)
{
    auto it = std::lower_bound(rows.begin(), rows.end(), id, [](const task_row& t, const task_id& x) { return t.id < x; });
    return it != rows.end() && it->id == id ? &*it : nullptr;
}

/// Whether the orchestrator acts on `m`: results and retry timers (anything else is dropped).
bool orchestrates(const message& m)
{
    return m.kind == message_kind::step_result || m.kind == message_kind::retry_due;
}

std::vector<task_row*> pointers(std::vector<task_row>& rows)
{
    std::vector<task_row*> out;
    out.reserve(rows.size());
    for (auto& t : rows)
        out.push_back(&t);
    return out;
}

// The context of each task with a claimed step, and the results of the claimed steps'
// ancestors (all complete or resolved: they no longer change).
constexpr statement payload{
    "tasker_claim_payload",
    "SELECT t.id, -1, t.context::text FROM tasker.tasks AS t WHERE t.id = ANY($1::uuid[]) "
    "UNION ALL "
    "SELECT s.task_id, s.idx, s.result::text FROM jsonb_to_recordset($2::jsonb) AS a(task uuid, step integer) "
    "JOIN tasker.steps AS s ON s.task_id = a.task AND s.idx = a.step"};

} // namespace

// ---------------------------------------------------------------------------------------
// Worker side

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
        switch (judge_claim(s, lease, req, now)) {
        case claim_verdict::claim: {
            const auto lease_us = to_us(req.lease);
            ++s.attempts;
            r.new_lease_us = lease_us;
            r.lease_until_us = now_us + lease_us;
            r.lease_owner = req.owner;
            cs.move_step(*t, req.ref.step, step_event::claim);
            [[fallthrough]];
        }
        case claim_verdict::claim_kept:
            o.status = claim_status::claimed;
            o.claim.ref = req.ref;
            o.claim.attempt = s.attempts;
            o.claim.correlation_id = t->correlation_id;
            o.claim.claimed_at = now;
            o.claim.lease_until = from_us(*r.lease_until_us);
            claimed.push_back(k);
            break;
        case claim_verdict::busy:
            o.status = claim_status::busy;
            o.retry_in = from_us(*r.lease_until_us) - now;
            break;
        case claim_verdict::lost:
            s.last_error = error_kind::timeout;
            s.retry_after.reset();
            r.failure = lost_worker_failure(s.attempts);
            r.set_failure = true;
            cs.move_step(*t, req.ref.step, step_event::fail);
            cs.send(orchestration_queue(), message{message_kind::step_result, req.ref.step, s.attempts, t->id});
            o.status = claim_status::lost;
            break;
        case claim_verdict::stale: o.status = claim_status::stale; break;
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
        for (auto k : claimed) {
            const auto* t = find_row(rows, out[k].claim.ref.task);
            with_claims.push_back(t->id);
            for (auto a : t->tmpl->graph.ancestors(out[k].claim.ref.step))
                ancestors.push_back(json::object{{"task", t->id.to_string()}, {"step", a}});
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
        for (auto k : claimed) {
            auto& claim = out[k].claim;
            const auto* t = find_row(rows, claim.ref.task);
            claim.tmpl = t->tmpl;
            claim.context = contexts[claim.ref.task];
            const auto graph_ancestors = t->tmpl->graph.ancestors(claim.ref.step);
            claim.ancestor_results.reserve(graph_ancestors.size());
            for (auto a : graph_ancestors)
                claim.ancestor_results.emplace_back(a, results[{claim.ref.task, a}]);
        }
    }
    commit(tx, cs, pointers(rows));
    return out;
}

awaitable<result<std::vector<bool>>> store::extend_leases(std::vector<lease_extension> exts)
{
    // A heartbeat changes neither state nor history: only the lease of the attempt it names,
    // if that attempt is still running (the attempt number is the lease's owner token).
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
        json::array rows;
        for (const auto& e : exts)
            rows.push_back(json::object{{"task", e.ref.task.to_string()},
                                        {"step", e.ref.step},
                                        {"attempt", e.attempt},
                                        {"lease_us", to_us(e.lease)}});
        write_transaction tx(c);
        // The task locks first, like every writer: no lock cycle with a writer of these steps.
        impl->lock_tasks(tx, task_ids(exts, [](const lease_extension& e) { return e.ref.task; }));
        for (const auto& row : exec(tx.statements(), extend, json::serialize(rows))) {
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

awaitable<result<std::vector<record_status>>> store::record_results(std::vector<step_outcome> outcomes)
{
    auto op = [impl = impl_.get(),
               outcomes = std::move(outcomes)](pqxx::connection& c) mutable -> result<std::vector<record_status>> {
        std::vector<record_status> out(outcomes.size(), record_status::ignored);
        write_transaction tx(c);
        auto [rows, now_us] =
            impl->lock_tasks(tx, task_ids(outcomes, [](const step_outcome& o) { return o.ref.task; }));
        changeset cs(now_us, impl->config.route);
        for (std::size_t k = 0; k < outcomes.size(); ++k) {
            auto& o = outcomes[k];
            auto* t = find_row(rows, o.ref.task);
            if (!t || o.ref.step >= t->status.size())
                continue;
            auto& s = t->status[o.ref.step];
            if (s.state != step_state::in_progress || s.attempts != o.attempt)
                continue; // too late: timed out, cancelled, resolved or taken over
            auto& r = t->steps[o.ref.step];
            if (o.success) {
                r.result = std::move(o.result);
                r.set_result = true;
                cs.move_step(*t, o.ref.step, step_event::succeed);
            } else {
                step_failure f = o.failure ? std::move(*o.failure) : step_failure{};
                f.attempt = s.attempts;
                s.last_error = f.kind;
                s.retry_after = f.retry_after;
                r.failure = std::move(f);
                r.set_failure = true;
                cs.move_step(*t, o.ref.step, step_event::fail);
            }
            cs.send(orchestration_queue(), message{message_kind::step_result, o.ref.step, o.attempt, t->id});
            out[k] = record_status::recorded;
        }
        commit(tx, cs, pointers(rows));
        return out;
    };
    co_return co_await impl_->run<std::vector<record_status>>(std::move(op), "record_results");
}

// ---------------------------------------------------------------------------------------
// Orchestrator side

awaitable<result<void>> store::process(std::vector<message> events)
{
    std::erase_if(events, [](const message& m) { return !orchestrates(m); });
    if (events.empty())
        co_return result<void>{};
    auto op = [impl = impl_.get(), events = std::move(events)](pqxx::connection& c) -> result<void> {
        write_transaction tx(c);
        return impl->process(tx, events);
    };
    co_return co_await impl_->run<void>(std::move(op), "process");
}

result<void> store::impl::process(write_transaction& tx, const std::vector<message>& events, read_messages read)
{
    auto [rows, now_us] = lock_tasks(tx, task_ids(events, [](const message& m) { return m.task; }));
    if (auto loaded = load_templates(tx.statements(), pointers(rows)); !loaded)
        return loaded.error();
    changeset cs(now_us, config.route);
    decision d;
    std::vector<const message*> pointers_to_events;
    pointers_to_events.reserve(events.size());
    for (const auto& m : events)
        pointers_to_events.push_back(&m);
    // Each task's inputs in order: a later one sees what the earlier ones changed. Late and
    // duplicate events decide nothing.
    for (const auto& [task, inputs] : orchestration_inputs(pointers_to_events)) {
        auto* t = find_row(rows, task);
        if (!t)
            continue;
        for (const auto& in : inputs)
            if (decide(*t->tmpl, t->id, t->state, t->status, in, next_random(), d))
                cs.apply(*t, d);
    }
    cs.archive(std::move(read));
    commit(tx, cs, pointers(rows));
    return {};
}

// ---------------------------------------------------------------------------------------
// Reading queues in the store's own transactions (the PGMQ route)

bool store::reads_queues() const noexcept { return impl_->config.route == message_route::pgmq; }

std::vector<delivery> store::impl::read_queue(write_transaction& tx, const queue_name& q, std::size_t max,
                                              duration lease)
{
    // Prepared, and run by EXECUTE in the string that begins the transaction: BEGIN and the
    // read are one round trip. No asynchronous commit here, unlike the broker's read: this
    // transaction commits claims and state changes too.
    const auto execute =
        pq::execute_prepared_sql(tx.statements(), pq::pgmq_statement("take", q.str()), pq::pgmq_read_sql(q.str(), false));
    const auto rows = tx.begin_with(execute + "(" + std::to_string(std::min<std::size_t>(max, 100'000)) + ", " +
                                    std::to_string(pq::whole_seconds(lease, 1)) + ")");
    std::vector<delivery_id> foreign;
    auto out = pq::deliveries_from_rows(rows, foreign);
    if (!foreign.empty()) // archived in this transaction, for an operator to look at
        pq::exec_prepared(tx.statements(), pq::pgmq_statement("shelve", q.str()),
                          pq::pgmq_archive_sql(q.str(), false), pq::array_literal(foreign));
    return out;
}

awaitable<result<queued_claims>> store::claim_queued(queue_name q, std::size_t max, duration lease, uuid owner)
{
    auto op = [impl = impl_.get(), q, max, lease, owner](pqxx::connection& c) -> result<queued_claims> {
        queued_claims out;
        if (max == 0)
            return out;
        write_transaction tx(c);
        out.deliveries = impl->read_queue(tx, q, max, lease);
        std::vector<claim_request> reqs;
        reqs.reserve(out.deliveries.size());
        for (const auto& d : out.deliveries)
            reqs.push_back({step_ref{d.msg.task, d.msg.step}, d.msg.attempt, lease, owner});
        auto claimed = impl->claim(tx, reqs);
        if (!claimed)
            return claimed.error();
        out.outcomes = std::move(*claimed);
        return out;
    };
    co_return co_await impl_->run<queued_claims>(std::move(op), "claim_queued");
}

awaitable<result<std::vector<delivery>>> store::process_queued(queue_name q, std::size_t max, duration lease)
{
    auto op = [impl = impl_.get(), q, max, lease](pqxx::connection& c) -> result<std::vector<delivery>> {
        if (max == 0)
            return std::vector<delivery>{};
        write_transaction tx(c);
        auto read = impl->read_queue(tx, q, max, lease);
        std::vector<message> events;
        read_messages done_with{q.str(), {}};
        for (const auto& d : read) {
            if (orchestrates(d.msg))
                events.push_back(d.msg);
            done_with.ids.push_back(d.id);
        }
        if (auto done = impl->process(tx, events, std::move(done_with)); !done)
            return done.error();
        return read;
    };
    co_return co_await impl_->run<std::vector<delivery>>(std::move(op), "process_queued");
}

awaitable<result<task_state>> store::apply_action(task_id id, operator_action a)
{
    auto op = [impl = impl_.get(), id, a = std::move(a)](pqxx::connection& c) -> result<task_state> {
        write_transaction tx(c);
        auto [rows, now_us] = impl->lock_tasks(tx, {id});
        if (rows.empty())
            return error{errc::task_not_found, "no task " + id.to_string()};
        auto& t = rows.front();
        if (auto loaded = impl->load_templates(tx.statements(), {&t}); !loaded)
            return loaded.error();

        const auto wanted = operator_input(*t.tmpl, t.id, a);
        if (!wanted)
            return wanted.error();
        const auto& in = *wanted;

        decision d;
        if (auto r = decide(*t.tmpl, t.id, t.state, t.status, in, impl->next_random(), d); !r)
            return r.error(); // nothing written: the transaction rolls back
        changeset cs(now_us, impl->config.route);
        cs.apply(t, d);
        if (const auto* r = std::get_if<input::resolve_step>(&in)) {
            auto& row = t.steps[r->step];
            row.result = std::get<action::resolve_step>(a).result;
            row.set_result = true;
        }
        commit(tx, cs, {&t});
        return t.state;
    };
    co_return co_await impl_->run<task_state>(std::move(op), "apply_action");
}

} // namespace tasker::postgres
