// Retention in the in-memory store: forgetting finished tasks after an age.
#include <tasker/inmemory/store.hpp>

#include "task_record.hpp"

#include <tasker/core/retention.hpp>

namespace tasker::inmemory {

bool store::has_open_dead_letter(const task_id& id) const
{
    std::lock_guard lock(dead_letters_mutex_);
    auto it = latest_dead_letter_.find(id);
    return it != latest_dead_letter_.end() && is_open(dead_letters_[it->second].status);
}

// A shard's finished tasks queue up in the order they finished, so the old enough ones are at
// the front: the walk stops at the first that is too young. An entry whose task is gone or
// running again (reopened) is dropped: the task queues up anew when it finishes. One held for
// its open dead letter keeps its place and is looked at again by the next pass.
std::size_t store::retire_finished(shard& sh, time_point cutoff, std::size_t budget,
                                   std::vector<std::string>& identities)
{
    std::size_t removed = 0;
    std::vector<task_id> held;
    while (removed < budget && !sh.finished.empty()) {
        const task_id id = sh.finished.front();
        const auto* t = sh.find(id);
        if (!t || !is_terminal(t->state)) {
            sh.finished.pop_front();
            continue;
        }
        if (!(t->updated_at < cutoff))
            break;
        sh.finished.pop_front();
        if (!may_retire(t->state, t->updated_at, cutoff, has_open_dead_letter(id))) {
            held.push_back(id);
            continue;
        }
        forget(sh, id, identities);
        ++removed;
    }
    for (auto it = held.rbegin(); it != held.rend(); ++it)
        sh.finished.push_front(*it);
    return removed;
}

result<retention_report> store::purge_finished_sync(const retention_pass& p)
{
    if (auto r = check_retention(p); !r)
        return r.error();
    if (p.mode == retention_mode::archive)
        return error{errc::invalid_request,
                     "the in-memory store cannot archive finished tasks (it keeps nothing beyond memory): use mode delete"};
    const time_point cutoff = retention_cutoff(p, clock_.now());
    retention_report report;
    std::vector<std::string> identities;
    for (const auto& sh : shards_) {
        if (report.removed == p.batch) {
            report.more = true;
            break;
        }
        std::lock_guard lock(sh->mutex);
        report.removed += retire_finished(*sh, cutoff, p.batch - report.removed, identities);
    }
    release_identities(std::move(identities));
    // A full batch may have left more behind, in the last shard or in the next ones.
    report.more = report.more || report.removed == p.batch;
    return report;
}

awaitable<result<retention_report>> store::purge_finished(retention_pass p)
{
    co_return purge_finished_sync(p);
}

} // namespace tasker::inmemory
