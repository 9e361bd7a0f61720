#include <tasker/inmemory/store.hpp>

#include "task_record.hpp"

#include <tasker/core/claim_verdict.hpp>
#include <tasker/core/replay_changes.hpp>
#include <tasker/core/task_graph.hpp>
#include <tasker/detail/seed_or_random.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/state/step_machine.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <map>

namespace tasker::inmemory {

namespace {

std::string identity_of(const template_key& key, const std::string& identity_key)
{
    return key.to_string() + '\n' + identity_key;
}

} // namespace

store::store(message_sink& sink, any_clock clock, store_options options)
    : sink_(sink), clock_(std::move(clock)),
      retain_per_shard_(options.retain_finished == std::numeric_limits<std::size_t>::max()
                            ? options.retain_finished
                            : (options.retain_finished + shard_count - 1) / shard_count),
      ids_(detail::seed_or_random(options.seed)),
      orchestration_origin_{"orchestrator:" + (options.actor.empty() ? process_name() : options.actor), {}, nullptr},
      creation_origin_{"client", {}, nullptr}
{
    uuid_generator seeds(detail::seed_or_random(options.seed) ^ 0x5bd1e995);
    for (std::size_t i = 0; i < shard_count; ++i)
        shards_.push_back(std::make_unique<shard>(seeds.random()));
}

store::~store() = default;

store::shard& store::shard_of(const task_id& id) const noexcept
{
    // The top bits of the id's random half; the map inside a shard hashes the low bits.
    return *shards_[std::hash<task_id>{}(id) >> 60 & (shard_count - 1)];
}

const change_origin* store::keep_origin(task_record& t, change_origin o)
{
    t.kept_origins.push_back(std::make_shared<const change_origin>(std::move(o)));
    return t.kept_origins.back().get();
}

void store::commit(shard& sh, task_record& t, const decision& d, time_point now, const change_origin* origin)
{
    add_created_steps(d, t.status, [&](const created_step& c) {
        if (c.step >= t.data.size())
            t.data.resize(c.step + 1);
        auto& part = t.data[c.step].dynamic_data();
        if (c.definition != c.step)
            part.name = c.name;
        part.input = c.input;
    });
    for (const auto& [i, f] : d.refused_results)
        t.record_failure(i, f);
    const std::uint32_t base = t.seq;
    replay_changes(
        d, t.status,
        [&](const task_change& c) {
            --sh.state_counts[static_cast<std::size_t>(t.state)];
            ++sh.state_counts[static_cast<std::size_t>(c.to)];
            t.state = c.to;
            t.task_transitions.push_back({base + c.seq + 1, c.from, c.to, c.event, now, origin});
        },
        [&](const step_change& c) {
            if (clears_failure(c))
                t.data[c.step].failure.reset();
            t.step_transitions.push_back(
                {base + c.seq + 1, c.step, t.status[c.step].attempts, c.from, c.to, c.event, now, origin});
        });
    t.seq = base + static_cast<std::uint32_t>(d.task_changes.size() + d.step_changes.size());
    for (const auto& m : d.messages)
        sh.outbox.push_back({m.to == outgoing_queue::worker ? t.worker_queue : orchestration_queue(), m.msg, m.delay});
    if (d.closes_dead_letter)
        close_dead_letter(t.id, *d.closes_dead_letter, origin ? origin->actor : std::string(), now);
    if (d.dead_letter)
        record_dead_letter(t, d, now);
    if (!d.empty()) {
        t.updated_at = now;
        sh.changed = true;
        if (is_terminal(t.state)) {
            sh.finished.push_back(t.id);
            ++sh.finished_total;
        }
    }
}

// Forgets a shard's oldest finished tasks beyond the retention limit. A task an operator
// restarted after it finished is only dropped while it is terminal.
void store::evict_finished(shard& sh)
{
    std::vector<std::string> identities;
    while (sh.finished.size() > retain_per_shard_) {
        const task_id id = sh.finished.front();
        sh.finished.pop_front();
        if (auto* t = sh.find(id); t && is_terminal(t->state))
            forget(sh, id, identities);
    }
    release_identities(std::move(identities));
}

void store::forget(shard& sh, const task_id& id, std::vector<std::string>& identities)
{
    auto it = sh.tasks.find(id);
    auto& t = *it->second;
    --sh.state_counts[static_cast<std::size_t>(t.state)];
    if (!t.identity_key.empty())
        identities.push_back(identity_of(t.tmpl->key(), t.identity_key));
    sh.tasks.erase(it);
}

void store::release_identities(std::vector<std::string> identities)
{
    if (identities.empty())
        return;
    std::lock_guard lock(evicted_identities_mutex_);
    for (auto& i : identities)
        evicted_identities_.push_back(std::move(i));
}

// Hands the critical section's messages to the sink before the shard's lock is released,
// so no message is seen before its state and no committed state loses its message.
void store::flush(shard& sh)
{
    if (sh.finished.size() > retain_per_shard_)
        evict_finished(sh);
    if (!sh.outbox.empty()) {
        sink_.deliver(sh.outbox);
        sh.outbox.clear();
    }
    if (sh.changed) {
        sh.changed = false;
        changes_.notify_all();
    }
}

// ---------------------------------------------------------------------------------------
// Templates and tasks

result<template_ptr> store::register_template_sync(task_template t) { return templates_.add(std::move(t)); }

result<task_created> store::create_task_sync(new_task nt)
{
    auto created = create_tasks_sync(std::span(&nt, 1));
    if (!created)
        return created.error();
    return created->front();
}

result<store::task_placement> store::place(const new_task& nt) const
{
    if (!nt.tmpl)
        return error{errc::template_not_found, "new_task has no template"};
    auto registered = templates_.find({nt.tmpl->namespace_name, nt.tmpl->name, nt.tmpl->version});
    if (!registered)
        return registered.error();
    auto q = worker_queue(nt.tmpl->namespace_name);
    if (!q)
        return q.error();
    return task_placement{std::move(*registered), *q};
}

result<std::vector<task_created>> store::create_tasks_sync(std::span<new_task> batch)
{
    // All or nothing: whatever could refuse a task is checked for every task first.
    std::vector<task_placement> resolved;
    resolved.reserve(batch.size());
    for (std::size_t k = 0; k < batch.size(); ++k) {
        if (auto ok = check_request_fields(batch[k]); !ok)
            return in_batch(ok.error(), k, batch.size());
        auto r = place(batch[k]);
        if (!r)
            return in_batch(r.error(), k, batch.size());
        resolved.push_back(std::move(*r));
    }
    std::vector<task_created> out;
    out.reserve(batch.size());
    const time_point now = clock_.now();
    // Identity keys make creation idempotent: check and insert them under one lock.
    const bool any_identity =
        std::any_of(batch.begin(), batch.end(), [](const new_task& t) { return !t.identity_key.empty(); });
    std::unique_lock identities(identities_mutex_, std::defer_lock);
    if (any_identity) {
        identities.lock();
        std::vector<std::string> evicted;
        {
            std::lock_guard lock(evicted_identities_mutex_);
            evicted.swap(evicted_identities_);
        }
        for (const auto& i : evicted)
            identities_.erase(i);
    }
    std::vector<task_id> ids(batch.size());
    {
        std::lock_guard lock(ids_mutex_);
        for (auto& id : ids)
            id = ids_.next(now);
    }
    for (std::size_t k = 0; k < batch.size(); ++k) {
        auto& nt = batch[k];
        std::string identity;
        if (!nt.identity_key.empty() && nt.tmpl) {
            identity = identity_of(nt.tmpl->key(), nt.identity_key);
            if (auto it = identities_.find(identity); it != identities_.end()) {
                out.push_back(task_created{it->second, false});
                continue;
            }
        }
        auto& sh = shard_of(ids[k]);
        std::lock_guard lock(sh.mutex);
        auto r = create_locked(sh, nt, resolved[k], ids[k], now);
        flush(sh);
        if (!r) // checked above: the decision core refused to start a valid template
            return r.error();
        if (!identity.empty())
            identities_.emplace(std::move(identity), r->id);
        out.push_back(*r);
    }
    return out;
}

result<task_created> store::create_locked(shard& sh, new_task& nt, const task_placement& rt, const task_id& id,
                                          time_point now)
{
    auto rec = std::make_unique<task_record>(id, rt.tmpl, rt.queue);
    auto& t = *rec;
    t.context = nt.context ? std::move(nt.context) : make_json(json::object{});
    t.identity_key = std::move(nt.identity_key);
    t.correlation_id = std::move(nt.correlation_id);
    if (!nt.parent_correlation_id.empty() || !nt.initiator.empty() || !nt.source_system.empty() ||
        !nt.reason.empty() || !nt.tags.empty() || nt.priority != 0)
        t.request = std::make_unique<const task_record::request_fields>(task_record::request_fields{
            std::move(nt.parent_correlation_id), std::move(nt.initiator), std::move(nt.source_system),
            std::move(nt.reason), std::move(nt.tags), nt.priority});
    t.created_at = t.updated_at = now;
    const std::size_t n = t.tmpl->steps.size();
    initial_steps(*t.tmpl, t.status);
    t.data.resize(n);
    // A step goes through four transitions when all goes well and its result causes about
    // two task transitions: reserve once rather than grow on the hot path.
    t.step_transitions.reserve(4 * n + 1);
    t.task_transitions.reserve(2 * n + 4);

    if (auto r = decide(*t.tmpl, id, t.state, t.status, input::start{}, sh.random.random(), sh.reused, t.results());
        !r)
        return r.error();
    ++sh.state_counts[static_cast<std::size_t>(task_state::pending)];
    commit(sh, t, sh.reused, now, &creation_origin_);
    sh.tasks.emplace(id, std::move(rec));
    sh.changed = true;
    return task_created{id, true};
}

// ---------------------------------------------------------------------------------------
// Orchestrator side

void store::orchestrate_sync(std::span<const message> events)
{
    const time_point now = clock_.now();
    for_each_shard(events, [&](shard& sh, std::span<const std::size_t> indices) {
        std::vector<const message*> mine;
        mine.reserve(indices.size());
        for (auto k : indices)
            mine.push_back(&events[k]);
        for (const auto& [task, inputs] : orchestration_inputs(mine)) {
            auto* t = sh.find(task);
            if (!t)
                continue;
            const auto results = t->results();
            for (const auto& in : inputs)
                if (decide(*t->tmpl, t->id, t->state, t->status, in, sh.random.random(), sh.reused, results))
                    commit(sh, *t, sh.reused, now, &orchestration_origin_);
        }
        flush(sh);
    });
}

result<task_state> store::apply_action_sync(const task_id& id, const operator_action& a, const change_origin& who)
{
    if (auto r = check_operator_origin(who); !r)
        return r.error();
    auto& sh = shard_of(id);
    std::lock_guard lock(sh.mutex);
    auto* t = sh.find(id);
    if (!t)
        return error{errc::task_not_found, "no task " + id.to_string()};

    const auto wanted = operator_input(*t->tmpl, t->id, a, t->names());
    if (!wanted)
        return wanted.error();
    const auto& in = *wanted;
    if (auto r = decide(*t->tmpl, t->id, t->state, t->status, in, sh.random.random(), sh.reused, t->results()); !r)
        return r.error();
    if (auto resolved = resolved_step_result(in, a))
        t->data[resolved->first].result = std::move(resolved->second);
    commit(sh, *t, sh.reused, clock_.now(), keep_origin(*t, who));
    flush(sh);
    return t->state;
}

// ---------------------------------------------------------------------------------------
// Queries

result<task_view> store::get_task_sync(const task_id& id) const
{
    auto& sh = shard_of(id);
    std::lock_guard lock(sh.mutex);
    const auto* t = sh.find(id);
    if (!t)
        return error{errc::task_not_found, "no task " + id.to_string()};
    task_view v;
    v.id = t->id;
    v.tmpl = t->tmpl;
    v.state = t->state;
    v.context = t->context;
    v.identity_key = t->identity_key;
    v.correlation_id = t->correlation_id;
    const auto& request = t->request_or_none();
    v.parent_correlation_id = request.parent_correlation_id;
    v.initiator = request.initiator;
    v.source_system = request.source_system;
    v.reason = request.reason;
    v.tags = request.tags;
    v.priority = request.priority;
    v.created_at = t->created_at;
    v.updated_at = t->updated_at;
    v.steps.reserve(t->status.size());
    for (std::uint32_t i = 0; i < t->status.size(); ++i)
        if (t->status[i].created)
            v.steps.push_back(step_view{i, t->step_name(i), t->status[i].state, t->status[i].attempts,
                                        t->data[i].result,
                                        t->data[i].failure ? std::optional(*t->data[i].failure) : std::nullopt,
                                        t->data[i].checkpoint()});
    // One shared copy of each origin per view: the view may outlive the task.
    std::map<const change_origin*, std::shared_ptr<const change_origin>> origins;
    const auto shared = [&](const change_origin* o) -> std::shared_ptr<const change_origin> {
        if (!o)
            return nullptr;
        auto& s = origins[o];
        if (!s)
            s = std::make_shared<const change_origin>(*o);
        return s;
    };
    v.task_transitions.reserve(t->task_transitions.size());
    for (const auto& r : t->task_transitions)
        v.task_transitions.push_back({r.seq, r.from, r.to, r.event, r.at, shared(r.origin)});
    v.step_transitions.reserve(t->step_transitions.size());
    for (const auto& r : t->step_transitions)
        v.step_transitions.push_back({r.seq, r.step, r.attempt, r.from, r.to, r.event, r.at, shared(r.origin)});
    v.failures = t->failures;
    return v;
}

std::uint64_t store::finished_total() const
{
    std::uint64_t n = 0;
    for (const auto& sh : shards_) {
        std::lock_guard lock(sh->mutex);
        n += sh->finished_total;
    }
    return n;
}

std::size_t store::count(task_state s) const
{
    std::size_t n = 0;
    for (const auto& sh : shards_) {
        std::lock_guard lock(sh->mutex);
        n += sh->state_counts[static_cast<std::size_t>(s)];
    }
    return n;
}

awaitable<void> store::wait_for_change(std::uint64_t seen, time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    if (deadline == time_point::max())
        co_await changes_.wait(time_point::max(), seen); // no timer to race
    else
        co_await (changes_.wait(time_point::max(), seen) || clock_.wait_until(deadline));
}

// ---------------------------------------------------------------------------------------
// The coroutine interface: each completes without suspending.

awaitable<result<template_ptr>> store::register_template(task_template t)
{
    co_return register_template_sync(std::move(t));
}

awaitable<result<template_ptr>> store::find_template(template_ref ref) { co_return templates_.find(ref); }

awaitable<result<std::vector<template_ptr>>> store::list_templates() { co_return templates_.all(); }

awaitable<result<task_created>> store::create_task(new_task t) { co_return create_task_sync(std::move(t)); }

awaitable<result<std::vector<task_created>>> store::create_tasks(std::vector<new_task> batch)
{
    co_return create_tasks_sync(batch);
}

awaitable<result<std::vector<claim_outcome>>> store::claim_steps(std::vector<claim_request> reqs)
{
    co_return claim_steps_sync(reqs);
}

awaitable<result<std::vector<bool>>> store::checkpoint_steps(std::vector<step_checkpoint> cps)
{
    co_return checkpoint_steps_sync(cps);
}

awaitable<result<std::vector<bool>>> store::extend_leases(std::vector<lease_extension> exts)
{
    co_return extend_leases_sync(exts);
}

awaitable<result<std::vector<record_status>>> store::record_results(std::vector<step_outcome> outcomes)
{
    co_return record_results_sync(outcomes);
}

awaitable<result<void>> store::orchestrate(std::vector<message> events)
{
    orchestrate_sync(events);
    co_return result<void>{};
}

awaitable<result<task_state>> store::apply_action(task_id id, operator_action a, change_origin who)
{
    co_return apply_action_sync(id, a, who);
}

awaitable<result<task_view>> store::get_task(task_id id) { co_return get_task_sync(id); }

} // namespace tasker::inmemory
