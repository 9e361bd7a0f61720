// The operator side of the in-memory store: the dead-letter queue and staleness passes.
#include <tasker/inmemory/store.hpp>

#include "task_record.hpp"

#include <tasker/core/dead_letter_reason.hpp>
#include <tasker/core/dead_letter_rules.hpp>

#include <algorithm>

namespace tasker::inmemory {

// ---------------------------------------------------------------------------------------
// The dead-letter queue

void store::record_dead_letter(const task_record& t, const decision& d, time_point now)
{
    std::vector<const step_failure*> failures;
    for (auto i : d.failed_steps)
        failures.push_back(t.data[i].failure.get());
    auto summary = summarize_dead_letter(*t.tmpl, t.status, d.failed_steps, failures, t.names());
    dead_letter e;
    e.task = t.id;
    e.key = t.tmpl->key();
    e.cause = d.cause;
    e.reason = d.cause == dead_letter_cause::staleness ? d.stale_reason : std::move(summary.reason);
    e.failed_steps = std::move(summary.failed_steps);
    e.at = e.updated_at = now;
    e.priority = t.request_or_none().priority;
    auto snapshot = dead_letter_snapshot(
        *t.tmpl, t.state, t.status, [&](std::uint32_t i) { return t.data[i].failure.get(); }, t.names());
    snapshot["correlation_id"] = t.correlation_id;
    snapshot["context"] = t.context ? *t.context : json::value(json::object{});
    e.snapshot = make_json(std::move(snapshot));

    std::lock_guard lock(dead_letters_mutex_);
    e.id = dead_letters_.size() + 1;
    latest_dead_letter_[t.id] = dead_letters_.size();
    dead_letters_.push_back(std::move(e));
}

void store::close_dead_letter(const task_id& task, dead_letter_status status, const std::string& actor, time_point now)
{
    std::lock_guard lock(dead_letters_mutex_);
    auto it = latest_dead_letter_.find(task);
    if (it == latest_dead_letter_.end() || !is_open(dead_letters_[it->second].status))
        return;
    apply_dead_letter_update(dead_letters_[it->second], dead_letter_update{status, {}, actor}, now);
}

awaitable<result<dead_letter_page>> store::dead_letters(dead_letter_filter f)
{
    if (auto r = check_dead_letter_filter(f); !r)
        co_return r.error();
    std::optional<dead_letter_position> after;
    if (!f.cursor.empty())
        after = parse_cursor(f.cursor, f.order).value();
    std::vector<const dead_letter*> picked;
    std::lock_guard lock(dead_letters_mutex_);
    for (const auto& e : dead_letters_)
        if (matches(e, f) && (!after || comes_after(e, *after, f.order)))
            picked.push_back(&e);
    std::sort(picked.begin(), picked.end(),
              [&](const dead_letter* a, const dead_letter* b) { return listed_before(*a, *b, f.order); });
    dead_letter_page page;
    for (std::size_t k = 0; k < picked.size() && k < f.limit; ++k)
        page.entries.push_back(*picked[k]);
    if (picked.size() > f.limit)
        page.next_cursor = cursor_after(page.entries.back(), f.order);
    co_return page;
}

awaitable<result<dead_letter>> store::dead_letter_of(task_id id)
{
    std::lock_guard lock(dead_letters_mutex_);
    auto it = latest_dead_letter_.find(id);
    if (it == latest_dead_letter_.end())
        co_return error{errc::task_not_found, "task " + id.to_string() + " has no dead-letter entry"};
    co_return dead_letters_[it->second];
}

awaitable<result<tasker::dead_letter_counts>> store::dead_letter_counts()
{
    tasker::dead_letter_counts out;
    std::lock_guard lock(dead_letters_mutex_);
    for (const auto& e : dead_letters_)
        ++out.by[static_cast<std::size_t>(e.cause)][static_cast<std::size_t>(e.status)];
    co_return out;
}

awaitable<result<dead_letter>> store::update_dead_letter(std::uint64_t entry, dead_letter_update u)
{
    if (auto r = check_dead_letter_update(u); !r)
        co_return r.error();
    std::lock_guard lock(dead_letters_mutex_);
    if (entry == 0 || entry > dead_letters_.size())
        co_return error{errc::task_not_found, "no dead-letter entry " + std::to_string(entry)};
    auto& e = dead_letters_[entry - 1];
    apply_dead_letter_update(e, u, clock_.now());
    co_return e;
}

// ---------------------------------------------------------------------------------------
// Staleness

std::optional<stale_task> store::sweep_one(shard& sh, task_record& t, const staleness_sweep& sweep, time_point now)
{
    auto v = judge_staleness(t.tmpl->lifecycle, sweep.defaults, t.state, t.created_at, t.state_since(), now);
    if (!v || v->used() < sweep.report_from)
        return std::nullopt;
    stale_task found{t.id, t.tmpl->key(), t.state, *v, false};
    if (sweep.dry_run || !v->passed() || v->action == staleness_action::none)
        return found;
    const input::expire in{v->action == staleness_action::dlq, v->reason()};
    if (!decide(*t.tmpl, t.id, t.state, t.status, in, sh.random.random(), sh.reused, t.results()))
        return found;
    change_origin origin = sweep.origin;
    origin.reason = in.reason;
    origin.metadata = make_json(json::object{{"limit", to_string(v->limit)},
                                             {"allowed_ms", std::chrono::duration_cast<milliseconds>(v->allowed).count()},
                                             {"age_ms", std::chrono::duration_cast<milliseconds>(v->age).count()}});
    commit(sh, t, sh.reused, now, keep_origin(t, std::move(origin)));
    found.acted = true;
    return found;
}

result<std::vector<stale_task>> store::sweep_stale_sync(const staleness_sweep& sweep)
{
    if (auto r = check_sweep(sweep); !r)
        return r.error();
    const time_point now = sweep.as_of.value_or(clock_.now());
    // First judge every live task, then act on the most overdue, each judged again under
    // its shard's lock: what changed in between is seen.
    struct candidate {
        task_id id;
        double used;
    };
    std::vector<candidate> candidates;
    for (const auto& sh : shards_) {
        std::lock_guard lock(sh->mutex);
        for (const auto& [id, t] : sh->tasks) {
            if (is_terminal(t->state))
                continue;
            auto v = judge_staleness(t->tmpl->lifecycle, sweep.defaults, t->state, t->created_at, t->state_since(), now);
            if (v && v->used() >= sweep.report_from)
                candidates.push_back({id, v->used()});
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const candidate& a, const candidate& b) {
        return a.used > b.used || (a.used == b.used && a.id < b.id);
    });
    if (candidates.size() > sweep.limit)
        candidates.resize(sweep.limit);
    std::vector<stale_task> out;
    for (const auto& c : candidates) {
        auto& sh = shard_of(c.id);
        std::lock_guard lock(sh.mutex);
        auto* t = sh.find(c.id);
        if (!t)
            continue;
        if (auto found = sweep_one(sh, *t, sweep, now))
            out.push_back(std::move(*found));
        flush(sh);
    }
    return out;
}

awaitable<result<std::vector<stale_task>>> store::sweep_stale(staleness_sweep sweep)
{
    co_return sweep_stale_sync(sweep);
}

} // namespace tasker::inmemory
