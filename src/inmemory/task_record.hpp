#pragma once
// The in-memory store's records, shared by its source files (store.cpp: creation, commits,
// orchestration, queries; worker_side.cpp: claims, heartbeats, checkpoints and results;
// task_listing.cpp: listings).

#include <tasker/inmemory/store.hpp>

#include <tasker/core/decision.hpp>
#include <tasker/state/step_machine.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <array>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tasker::inmemory {

/// Everything known about one task. Step status lives in its own array so the decision
/// core reads it as a span without copying.
struct store::task_record {
    struct step_data {
        json_ptr result;
        std::unique_ptr<step_failure> failure; // most steps never fail: keep them small
        time_point lease_until;
        uuid lease_owner; // the claim's owner token (nil: none)
        // Steps of tasks with decision or batch steps only: kept apart, so a plain step stays small.
        struct dynamic_part {
            std::string name;    // a batch worker's; empty for a template step
            json_ptr input;      // a batch worker's cursor
            json_ptr checkpoint; // the last checkpoint
        };
        std::unique_ptr<dynamic_part> dynamic;

        dynamic_part& dynamic_data()
        {
            if (!dynamic)
                dynamic = std::make_unique<dynamic_part>();
            return *dynamic;
        }
        const std::string& name() const
        {
            static const std::string none;
            return dynamic ? dynamic->name : none;
        }
        json_ptr input() const { return dynamic ? dynamic->input : nullptr; }
        json_ptr checkpoint() const { return dynamic ? dynamic->checkpoint : nullptr; }
    };

    /// The request's fields beyond the context and correlation id (see `new_task`). Most
    /// tasks have none: kept apart, so such a task stays small.
    struct request_fields {
        std::string parent_correlation_id;
        std::string initiator;
        std::string source_system;
        std::string reason;
        std::vector<std::string> tags;
        int priority = 0;
    };

    task_id id;
    template_ptr tmpl;
    queue_name worker_queue;
    json_ptr context;
    std::string identity_key;
    std::string correlation_id;
    std::unique_ptr<const request_fields> request; // null: none given
    task_state state = task_state::pending;
    time_point created_at;
    time_point updated_at;
    std::vector<step_status> status;
    std::vector<step_data> data;
    // The history, as `task_view` has it but with each row's origin as a plain pointer: every
    // transition takes one, and a shared one's reference count would be written by every thread
    // of the store. The origins live as long as the store (orchestration, workers) or the task
    // (`kept_origins`: an operator's or a staleness pass's).
    struct task_row {
        std::uint32_t seq;
        task_state from, to;
        task_event event;
        time_point at;
        const change_origin* origin;
    };
    struct step_row {
        std::uint32_t seq, step, attempt;
        step_state from, to;
        step_event event;
        time_point at;
        const change_origin* origin;
    };
    std::vector<task_row> task_transitions;
    std::vector<step_row> step_transitions;
    std::vector<std::shared_ptr<const change_origin>> kept_origins;
    std::vector<step_failure_record> failures; // every failed attempt's error, in order
    std::uint32_t seq = 0;

    task_record(task_id i, template_ptr t, queue_name q) : id(i), tmpl(std::move(t)), worker_queue(q) {}

    bool dynamic() const noexcept { return tmpl->dynamic != nullptr; }

    const request_fields& request_or_none() const noexcept
    {
        static const request_fields none;
        return request ? *request : none;
    }

    const std::string& step_name(std::uint32_t i) const
    {
        return data[i].name().empty() ? tmpl->steps[status[i].definition_or(i)].name : data[i].name();
    }

    // Each step's name by index, empty for one not created: for a task whose steps are not
    // its template's. Empty for the others.
    std::vector<std::string> names() const
    {
        std::vector<std::string> out;
        if (dynamic())
            for (std::uint32_t i = 0; i < status.size(); ++i)
                out.push_back(status[i].created ? step_name(i) : std::string());
        return out;
    }

    // How the decision core reads a decision or batchable step's outcome.
    result_lookup results() const
    {
        if (!dynamic())
            return {};
        return [this](std::uint32_t i) -> const json::value* { return data[i].result.get(); };
    }

    // A compare-and-set step change made outside the decision core (claims and results):
    // the step machine decides legality; the caller has checked `from`.
    void move_step(std::uint32_t step, step_event e, time_point now, const change_origin* origin)
    {
        auto& s = status[step];
        const step_state from = s.state;
        s.state = step_machine::next(from, e).value(); // callers check `from` first
        step_transitions.push_back({++seq, step, s.attempts, from, s.state, e, now, origin});
        updated_at = now;
    }

    // The step's failure is `f` now; earlier ones stay in `failures`.
    void record_failure(std::uint32_t step, step_failure f)
    {
        failures.push_back({step, f});
        data[step].failure = std::make_unique<step_failure>(std::move(f));
    }

    // When the task entered its current state.
    time_point state_since() const noexcept
    {
        return task_transitions.empty() ? created_at : task_transitions.back().at;
    }
};

inline constexpr std::size_t shard_count = 16; // a power of two

struct store::shard {
    mutable std::mutex mutex;
    boost::unordered_flat_map<task_id, std::unique_ptr<task_record>, std::hash<task_id>> tasks;
    decision reused;                // decisions on the hot path allocate nothing
    std::vector<envelope> outbox;   // messages of the current critical section
    bool changed = false;
    std::deque<task_id> finished;   // oldest first
    std::uint64_t finished_total = 0;
    std::array<std::size_t, task_state_count> state_counts{};
    uuid_generator random;          // retry jitter
    // `worker:<owner>` per claim owner seen here, kept as long as the store: transitions of
    // every task point at them (one entry per worker process that ever claimed here).
    boost::unordered_flat_map<uuid, std::unique_ptr<const change_origin>, std::hash<uuid>> worker_origins;

    const change_origin* worker_origin(const uuid& owner)
    {
        if (last_worker && owner == last_owner) // a batch is one worker's, usually
            return last_worker;
        auto it = worker_origins.find(owner);
        if (it == worker_origins.end())
            it = worker_origins
                     .emplace(owner, std::make_unique<const change_origin>(change_origin{worker_actor(owner), {}, nullptr}))
                     .first;
        last_owner = owner;
        last_worker = it->second.get();
        return last_worker;
    }
    uuid last_owner;
    const change_origin* last_worker = nullptr;

    explicit shard(std::uint64_t seed) : random(seed) {}

    task_record* find(const task_id& id) const
    {
        auto it = tasks.find(id);
        return it == tasks.end() ? nullptr : it->second.get();
    }
};

template <class Items, class F>
void store::for_each_shard(const Items& items, F&& f) const
{
    std::array<std::vector<std::size_t>, shard_count> by_shard;
    for (std::size_t k = 0; k < items.size(); ++k) {
        const auto& id = [&]() -> const task_id& {
            if constexpr (requires { items[k].ref; })
                return items[k].ref.task;
            else
                return items[k].task;
        }();
        by_shard[std::hash<task_id>{}(id) >> 60 & (shard_count - 1)].push_back(k);
    }
    for (std::size_t i = 0; i < shard_count; ++i)
        if (!by_shard[i].empty()) {
            auto& sh = *shards_[i];
            std::lock_guard lock(sh.mutex);
            f(sh, std::span<const std::size_t>(by_shard[i]));
        }
}

} // namespace tasker::inmemory
