#pragma once

#include <tasker/error.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/retry/error_kind.hpp>
#include <tasker/state/step_state.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/operator_action.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tasker {

/// What the decision core needs to know of one step.
struct step_status {
    step_state state = step_state::pending;
    std::uint32_t attempts = 0;                  ///< attempts claimed so far, the running one included
    error_kind last_error = error_kind::retryable; ///< kind of the last failed attempt
    std::optional<duration> retry_after;         ///< delay the last failed attempt's handler asked for

    friend bool operator==(const step_status&, const step_status&) = default;
};

/// A task state change the store must make (compare-and-set from `from`). `seq` is its
/// position among all changes of the decision, so the history keeps their order.
struct task_change {
    task_state from;
    task_state to;
    task_event event;
    std::uint32_t seq = 0;
    friend bool operator==(const task_change&, const task_change&) = default;
};

/// A step state change the store must make (compare-and-set from `from`); `seq` as above.
struct step_change {
    std::uint32_t step;
    step_state from;
    step_state to;
    step_event event;
    std::uint32_t seq = 0;
    friend bool operator==(const step_change&, const step_change&) = default;
};

/// Which queue a message of a decision goes to: the task's namespace worker queue, or the
/// orchestration queue.
enum class outgoing_queue : std::uint8_t { worker, orchestration };

std::string_view to_string(outgoing_queue q) noexcept;
std::ostream& operator<<(std::ostream& os, outgoing_queue q);

struct outgoing_message {
    outgoing_queue to;
    message msg;
    duration delay{};
    friend bool operator==(const outgoing_message&, const outgoing_message&) = default;
};

/// Inputs of the decision core: what just happened to a task.
namespace input {
struct start {};                                         ///< a new (or reset) task begins
struct step_result { std::uint32_t step; std::uint32_t attempt; }; ///< a worker's result is durable
/// Results of several steps of one task, durable together: each step moves, then the task
/// is evaluated once for all of them (its history says so once, not once per step).
struct step_result_batch { std::vector<step_result> results; };
struct retry_due { std::uint32_t step; std::uint32_t attempt; };   ///< a retry delay ran out
struct cancel {};                                        ///< operator or client cancels the task
struct resolve_step { std::uint32_t step; };             ///< operator marks a step done by hand
struct reset_step { std::uint32_t step; };               ///< operator sends a failed step back to pending
struct resolve_task {};                                  ///< operator closes a failed task by hand
} // namespace input

using decision_input = std::variant<input::start, input::step_result, input::step_result_batch, input::retry_due,
                                    input::cancel, input::resolve_step, input::reset_step, input::resolve_task>;

/// What a store must commit, atomically, for one input: state changes in order, then the
/// messages they cause. Reuse one `decision` across calls: `decide` clears it and keeps
/// its capacity, so the hot path allocates nothing.
struct decision {
    std::vector<task_change> task_changes;
    std::vector<step_change> step_changes;
    std::vector<outgoing_message> messages;
    /// The task gave up (ended in error): record a dead-letter entry naming `failed_steps`.
    bool dead_letter = false;
    std::vector<std::uint32_t> failed_steps;

    bool empty() const noexcept { return task_changes.empty() && step_changes.empty() && messages.empty(); }
    void clear() noexcept;

    /// Not part of the output: `decide`'s working copy of the step states, kept here for its
    /// capacity so that a reused `decision` allocates nothing.
    std::vector<step_state> working_states;
};

/// The pure decision core (DESIGN "Flow of one task"): given a task's template, its state,
/// its steps' status and what just happened, decide every state change and message. Every
/// store and broker shares this one function; it does no I/O and reads no clock, so a
/// seeded simulation replays it exactly.
///
/// `random` feeds retry jitter. Late or duplicate inputs (a result for an attempt that is
/// no longer current, a retry for a step that moved on) yield an empty decision. Operator
/// inputs that make no sense in the current state (cancel a complete task, reset a step
/// that did not fail) are `errc::illegal_transition` with a message saying why.
result<void> decide(const task_template& tmpl, const task_id& task, task_state state,
                    std::span<const step_status> steps, const decision_input& in, std::uint64_t random,
                    decision& out);

/// One task's share of a batch of orchestration messages, as decision inputs in the order
/// of its messages.
struct task_inputs {
    task_id task;
    std::vector<decision_input> inputs;
};

/// The decision inputs that a batch of orchestration messages makes, task by task (in the
/// order each task first appears). A task's step results that follow one another become one
/// `input::step_result_batch`; a due retry is an input of its own. Other messages are skipped.
/// Both stores process results through this, so a pass evaluates each task once per run of
/// results, whichever store holds it.
std::vector<task_inputs> orchestration_inputs(std::span<const message* const> events);

/// The input an operator's action makes for a task of `tmpl`, step names resolved to
/// indexes: `errc::step_not_found` (naming `task`) when the template has no such step.
/// Every store turns actions into decisions through this, then `decide`.
result<decision_input> operator_input(const task_template& tmpl, const task_id& task, const operator_action& a);

/// Applies a step change to a status the way every store must: the new state, and for
/// `reset` a fresh attempt count.
void apply_step_change(step_status& s, const step_change& c) noexcept;

/// Whether a step change clears the failure recorded with the step (a `reset` does: the
/// step starts over).
constexpr bool clears_failure(const step_change& c) noexcept { return c.event == step_event::reset; }

/// The result an operator's action gives a step: for `action::resolve_step`, the step's index
/// (as `in`, made by `operator_input`, names it) and the result the operator supplied. None
/// for any other action.
std::optional<std::pair<std::uint32_t, json_ptr>> resolved_step_result(const decision_input& in,
                                                                        const operator_action& a);

} // namespace tasker
