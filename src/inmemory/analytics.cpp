// Analytics over the in-memory store (`task_store` requirement 14): one pass over the shards,
// each under its lock in turn; the figures come from the core (`template_tally`).
#include <tasker/inmemory/store.hpp>

#include "task_record.hpp"

#include <tasker/core/analytics.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace tasker::inmemory {

namespace {

/// A finished task of a template's sample, read under its shard's lock.
struct sampled_task {
    task_id id;
    duration took{};
    std::vector<std::pair<std::uint32_t, duration>> attempt_times; // template step, claim to next transition
    std::vector<std::pair<std::uint32_t, std::uint64_t>> retries;  // template step, attempts beyond the first
};

/// One template version's tasks in the window.
struct template_group {
    template_ptr tmpl;
    task_state_counts states;
    std::vector<sampled_task> sample; // the newest of each shard, then of all
};

/// Keeps the `n` newest (largest ids) of `v`.
template <class T, class Id>
void keep_newest(std::vector<T>& v, std::size_t n, Id id_of)
{
    if (v.size() <= n)
        return;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(),
                     [&](const T& a, const T& b) { return id_of(a) > id_of(b); });
    v.resize(n);
}

} // namespace

awaitable<result<task_analytics>> store::analytics(analytics_query q)
{
    co_return analytics_sync(q);
}

result<task_analytics> store::analytics_sync(const analytics_query& q) const
{
    if (auto r = check_analytics_query(q); !r)
        return r.error();
    task_state_counts system;
    std::vector<template_group> groups;
    // Per template (by its registered object): the index of its group, or none when the
    // query's filters leave it out.
    boost::unordered_flat_map<const task_template*, std::optional<std::size_t>> group_of;
    std::vector<std::vector<const task_record*>> finished; // per group, this shard's

    for (const auto& sh : shards_) {
        std::lock_guard lock(sh->mutex);
        for (std::size_t s = 0; s < task_state_count; ++s)
            system.by[s] += sh->state_counts[s];
        for (auto& f : finished)
            f.clear();
        for (const auto& [id, t] : sh->tasks) {
            if (!in_window(q, t->created_at))
                continue;
            auto [it, fresh] = group_of.try_emplace(t->tmpl.get());
            if (fresh && selects(q, t->tmpl->key())) {
                it->second = groups.size();
                groups.push_back({t->tmpl, {}, {}});
                finished.emplace_back();
            }
            if (!it->second)
                continue;
            const auto g = *it->second;
            ++groups[g].states.by[static_cast<std::size_t>(t->state)];
            if (is_terminal(t->state))
                finished[g].push_back(t.get());
        }
        // This shard's newest finished tasks of each template, read while they are locked:
        // the sample of all shards is among them.
        for (std::size_t g = 0; g < groups.size(); ++g) {
            keep_newest(finished[g], q.sample, [](const task_record* t) { return t->id; });
            for (const task_record* t : finished[g]) {
                sampled_task st;
                st.id = t->id;
                st.took = t->state_since() - t->created_at;
                std::vector<std::optional<time_point>> claimed(t->status.size());
                for (const auto& row : t->step_transitions) {
                    auto& open = claimed[row.step];
                    if (open) {
                        st.attempt_times.emplace_back(t->status[row.step].definition_or(row.step), row.at - *open);
                        open.reset();
                    }
                    if (row.to == step_state::in_progress)
                        open = row.at;
                }
                for (std::uint32_t i = 0; i < t->status.size(); ++i) {
                    if (t->status[i].attempts < 2)
                        continue;
                    const auto step = t->status[i].definition_or(i);
                    const std::uint64_t more = t->status[i].attempts - 1;
                    auto same = std::find_if(st.retries.begin(), st.retries.end(),
                                             [&](const auto& r) { return r.first == step; });
                    if (same == st.retries.end())
                        st.retries.emplace_back(step, more);
                    else
                        same->second += more;
                }
                groups[g].sample.push_back(std::move(st));
            }
        }
    }

    std::vector<template_tally> tallies;
    for (auto& g : groups) {
        template_tally tally(g.tmpl->key());
        for (std::size_t s = 0; s < task_state_count; ++s)
            if (g.states.by[s] > 0)
                tally.started(static_cast<task_state>(s), g.states.by[s]);
        keep_newest(g.sample, q.sample, [](const sampled_task& t) { return t.id; });
        const auto& steps = g.tmpl->steps;
        for (const auto& t : g.sample) {
            tally.sampled_task(t.took);
            for (const auto& [step, took] : t.attempt_times)
                tally.attempt(steps[step].name, took);
            for (const auto& [step, n] : t.retries)
                tally.retried(steps[step].name, n);
        }
        tallies.push_back(std::move(tally));
    }
    return assemble_analytics(q, clock_.now(), std::move(tallies), system);
}

} // namespace tasker::inmemory
