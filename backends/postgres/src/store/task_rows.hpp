#pragma once
// Internal to tasker::postgres: a task as a write reads it under its row lock, with its steps,
// and how an operation finds the rows it locked.

#include <tasker/core/decision.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/step_outcome.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tasker::postgres::detail {

/// One step of a locked task beyond what the decision core reads (`task_row::status`), as read
/// and as changed so far by the operation.
struct step_row {
    std::optional<step_failure> failure; ///< the last failed attempt, as stored
    std::optional<std::int64_t> lease_until_us;
    uuid lease_owner; ///< the owner token of the claim holding the lease (nil: none)

    // As read: the compare-and-set's expectation.
    step_state read_state = step_state::pending;
    std::uint32_t read_attempts = 0;

    // What the commit writes.
    bool needs_update = false; ///< write the state and attempts back
    std::optional<std::int64_t> new_lease_us; ///< a lease from the operation's time, for `lease_owner`
    bool set_result = false;
    json_ptr result;
    bool set_failure = false; ///< write `failure` (cleared when empty)

    std::string name; ///< a batch worker's name; empty for a template step
    /// Created by this operation's decision: the commit inserts the row (a batch worker) or
    /// marks it created (a template step), with `input`, before it applies the changes.
    bool created_now = false;
    std::uint32_t definition = 0;
    json_ptr input;
};

/// A task read under its row lock (or being created), with every step.
struct task_row {
    task_id id;
    std::int64_t template_id = 0;
    template_ptr tmpl; ///< loaded only when the operation needs it
    task_state state = task_state::pending;
    task_state read_state = task_state::pending;
    std::string correlation_id;
    std::vector<step_status> status; ///< by step index: what the decision core reads, changed in place
    std::vector<step_row> steps;     ///< by step index: the rest
    bool needs_update = false;       ///< write updated_at (and the state) back
    bool is_new = false;             ///< inserted by this operation: nothing to compare and set

    bool dynamic() const noexcept { return tmpl && tmpl->dynamic; }
    /// Step `i`'s name: a batch worker's own, else its template step's.
    const std::string& step_name(std::uint32_t i) const
    {
        return steps[i].name.empty() ? tmpl->steps[status[i].definition_or(i)].name : steps[i].name;
    }
    /// Each step's name by index, empty for one not created, for a task with decision or
    /// batch steps; empty for the others (for `operator_input`, `summarize_dead_letter`).
    std::vector<std::string> names() const
    {
        std::vector<std::string> out;
        if (dynamic())
            for (std::uint32_t i = 0; i < status.size(); ++i)
                out.push_back(status[i].created ? step_name(i) : std::string());
        return out;
    }
};

/// Messages a transaction read from a PGMQ queue, archived by its commit: once what they
/// asked for is durable, in the same transaction, there is nothing left to ack.
struct read_messages {
    std::string queue;
    std::vector<delivery_id> ids;
};

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
inline task_row* find_row(std::vector<task_row>& rows, const task_id& id)
{
    auto it = std::lower_bound(rows.begin(), rows.end(), id, [](const task_row& t, const task_id& x) { return t.id < x; });
    return it != rows.end() && it->id == id ? &*it : nullptr;
}

/// Every row of `rows`, as the commit takes them.
inline std::vector<task_row*> row_pointers(std::vector<task_row>& rows)
{
    std::vector<task_row*> out;
    out.reserve(rows.size());
    for (auto& t : rows)
        out.push_back(&t);
    return out;
}

} // namespace tasker::postgres::detail
