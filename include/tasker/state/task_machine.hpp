#pragma once

#include <tasker/error.hpp>
#include <tasker/state/task_state.hpp>

#include <memory>
#include <span>

namespace tasker {

/// One row of the task machine: `event` in state `from` leads to `to`.
struct task_rule {
    task_state from;
    task_event event;
    task_state to;
    friend bool operator==(const task_rule&, const task_rule&) = default;
};

/// Facade over the Boost.MSM task state machine, which is compiled once in
/// src/state/task_machine.cpp (MSM headers never reach users).
///
/// The MSM transition table is the only source of legality: `rules()` is read off it and
/// `next()` answers from a lookup table built by running the MSM machine on every
/// (state, event) pair once, so the hot path costs an array index.
class task_machine {
public:
    /// The state `event` leads to from `from`; `errc::illegal_transition` if none.
    static result<task_state> next(task_state from, task_event event);

    /// Every legal transition, in the order of the MSM transition table.
    static std::span<const task_rule> rules() noexcept;

    /// A live MSM machine rehydrated in `state`, as the stores do with persisted state.
    explicit task_machine(task_state state = task_state::pending);
    task_machine(task_machine&&) noexcept;
    task_machine& operator=(task_machine&&) noexcept;
    ~task_machine();

    task_state state() const noexcept;

    /// Applies `event` through MSM. On an illegal event the state is unchanged and the
    /// error names the state and the event.
    result<task_state> process(task_event event);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace tasker
