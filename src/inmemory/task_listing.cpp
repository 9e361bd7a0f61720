// The in-memory store's listings: every shard's tasks matched against the filter, the newest of
// them kept, merged into one page.
#include <tasker/inmemory/store.hpp>

#include "task_record.hpp"

#include <tasker/core/task_listing.hpp>

#include <algorithm>
#include <utility>
#include <vector>

namespace tasker::inmemory {

namespace {

// Templates over the record type, which is private to the store.
template <class Record>
bool matches(const task_filter& f, const listing_query& q, const Record& t)
{
    if (q.below && !(t.id < *q.below))
        return false;
    if (f.namespace_name && t.tmpl->namespace_name != *f.namespace_name)
        return false;
    if (f.template_name && t.tmpl->name != *f.template_name)
        return false;
    if (f.state && t.state != *f.state)
        return false;
    if (f.correlation_id && t.correlation_id != *f.correlation_id)
        return false;
    if (f.created_after && t.created_at < *f.created_after)
        return false;
    if (f.created_before && !(t.created_at < *f.created_before))
        return false;
    const auto& r = t.request_or_none();
    if (f.parent_correlation_id && r.parent_correlation_id != *f.parent_correlation_id)
        return false;
    if (f.initiator && r.initiator != *f.initiator)
        return false;
    if (f.source_system && r.source_system != *f.source_system)
        return false;
    if (f.tag && std::find(r.tags.begin(), r.tags.end(), *f.tag) == r.tags.end())
        return false;
    return true;
}

template <class Record>
task_summary summary_of(const Record& t)
{
    const auto& r = t.request_or_none();
    return {t.id,          t.tmpl->key(),           t.state,     t.created_at,     t.updated_at,
            t.correlation_id, r.parent_correlation_id, r.initiator, r.source_system, r.reason,
            r.tags,        r.priority};
}

} // namespace

result<task_page> store::list_tasks_sync(const task_filter& filter) const
{
    auto q = check_filter(filter);
    if (!q)
        return q.error();
    const auto newest_first = [](const task_summary& a, const task_summary& b) { return a.id > b.id; };
    std::vector<task_summary> rows;
    std::vector<const task_record*> mine;
    for (const auto& sh : shards_) {
        std::lock_guard lock(sh->mutex);
        mine.clear();
        for (const auto& [id, t] : sh->tasks)
            if (matches(filter, *q, *t))
                mine.push_back(t.get());
        // Only a shard's newest `fetch` can be on the page.
        const auto keep = std::min(mine.size(), q->fetch);
        std::partial_sort(mine.begin(), mine.begin() + static_cast<std::ptrdiff_t>(keep), mine.end(),
                          [](const task_record* a, const task_record* b) { return a->id > b->id; });
        for (std::size_t i = 0; i < keep; ++i)
            rows.push_back(summary_of(*mine[i]));
    }
    const auto keep = std::min(rows.size(), q->fetch);
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(), newest_first);
    rows.resize(keep);
    return make_page(std::move(rows), filter, *q);
}

awaitable<result<task_page>> store::list_tasks(task_filter filter) { co_return list_tasks_sync(filter); }

} // namespace tasker::inmemory
