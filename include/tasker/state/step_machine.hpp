#pragma once

#include <tasker/error.hpp>
#include <tasker/state/step_state.hpp>

#include <memory>
#include <span>

namespace tasker {

/// One row of the step machine: `event` in state `from` leads to `to`.
struct step_rule {
    step_state from;
    step_event event;
    step_state to;
    friend bool operator==(const step_rule&, const step_rule&) = default;
};

/// Facade over the Boost.MSM step state machine, which is compiled once in
/// src/state/step_machine.cpp (MSM headers never reach users).
///
/// The MSM transition table is the only source of legality: `rules()` is read off it and
/// `next()` answers from a lookup table built by running the MSM machine on every
/// (state, event) pair once, so the hot path costs an array index.
class step_machine {
public:
    /// The state `event` leads to from `from`; `errc::illegal_transition` if none.
    static result<step_state> next(step_state from, step_event event);

    /// Every legal transition, in the order of the MSM transition table.
    static std::span<const step_rule> rules() noexcept;

    /// A live MSM machine rehydrated in `state`, as the stores do with persisted state.
    explicit step_machine(step_state state = step_state::pending);
    step_machine(step_machine&&) noexcept;
    step_machine& operator=(step_machine&&) noexcept;
    ~step_machine();

    step_state state() const noexcept;

    /// Applies `event` through MSM. On an illegal event the state is unchanged and the
    /// error names the state and the event.
    result<step_state> process(step_event event);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace tasker
