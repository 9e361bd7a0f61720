#pragma once

#include <tasker/error.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/retry/error_kind.hpp>
#include <tasker/state/step_state.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/change_origin.hpp>
#include <tasker/store/dead_letter.hpp>
#include <tasker/store/operator_action.hpp>
#include <tasker/store/step_outcome.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tasker {

/// What the decision core needs to know of one step.
struct step_status {
    /// `definition` of a step that is its template's step of the same index.
    static constexpr std::uint32_t own_index = UINT32_MAX;

    step_state state = step_state::pending;
    std::uint32_t attempts = 0;                  ///< attempts claimed so far, the running one included
    error_kind last_error = error_kind::retryable; ///< kind of the last failed attempt
    std::optional<duration> retry_after;         ///< delay the last failed attempt's handler asked for
    /// The template step this step runs: `own_index` for the template's steps (a task's steps
    /// start as its template's, index for index); a batch worker's batch_worker step.
    std::uint32_t definition = own_index;
    /// False for a template step of a decision or batch branch that no outcome created (yet):
    /// it does not run, and a view does not show it.
    bool created = true;

    std::uint32_t definition_or(std::uint32_t index) const noexcept
    {
        return definition == own_index ? index : definition;
    }

    friend bool operator==(const step_status&, const step_status&) = default;
};

/// A step a decision or batchable step's outcome created, for the store to add (pending)
/// before it applies the decision's step changes. A template step keeps its index; a
/// batch worker is added after the task's last step.
struct created_step {
    std::uint32_t step = 0;
    std::uint32_t definition = 0; ///< its template step
    std::string name;             ///< the template step's name; `<worker>_<batch id>` for a batch worker
    json_ptr input;               ///< a batch worker's `batch_cursor`; null otherwise

    friend bool operator==(const created_step&, const created_step&) = default;
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
struct complete_step { std::uint32_t step; };            ///< operator completes a step by hand, with a result
struct retry_failed {};                                  ///< operator resets every step in error
/// The task passed a lifecycle limit (see `judge_staleness`): its unfinished steps fail and
/// it ends in error, with a dead-letter entry when `dead_letter` (action `dlq`). `reason`
/// says which limit, for the entry.
struct expire { bool dead_letter = true; std::string reason; };
} // namespace input

using decision_input = std::variant<input::start, input::step_result, input::step_result_batch, input::retry_due,
                                    input::cancel, input::resolve_step, input::reset_step, input::resolve_task,
                                    input::complete_step, input::retry_failed, input::expire>;

/// What a store must commit, atomically, for one input: state changes in order, then the
/// messages they cause. Reuse one `decision` across calls: `decide` clears it and keeps
/// its capacity, so the hot path allocates nothing.
struct decision {
    std::vector<task_change> task_changes;
    std::vector<step_change> step_changes;
    std::vector<outgoing_message> messages;
    /// The task gave up (ended in error): record a dead-letter entry naming `failed_steps`,
    /// for `cause` (and, for staleness, `stale_reason`: the limit passed).
    bool dead_letter = false;
    std::vector<std::uint32_t> failed_steps;
    dead_letter_cause cause = dead_letter_cause::retries_exhausted;
    std::string stale_reason;
    /// The task left `error` or was cancelled or resolved: its open dead-letter entry closes
    /// with this status (see `closing_status`).
    std::optional<dead_letter_status> closes_dead_letter;
    /// Steps an outcome created (in step order), added before `step_changes` apply.
    std::vector<created_step> created_steps;
    /// Steps whose recorded result was refused (a wrong decision or batch outcome), with the
    /// failure to record: each also has a `refuse` step change.
    std::vector<std::pair<std::uint32_t, step_failure>> refused_results;

    bool empty() const noexcept
    {
        return task_changes.empty() && step_changes.empty() && messages.empty() && created_steps.empty();
    }
    void clear() noexcept;

    /// Not part of the output: `decide`'s working copy of the step states, kept here for its
    /// capacity so that a reused `decision` allocates nothing.
    std::vector<step_state> working_states;
    /// Not part of the output: the working copy of the steps' status for templates with
    /// decision or batch steps, whose outcomes add steps within one decision.
    std::vector<step_status> working_steps;
};

/// How `decide` reads the recorded result of a decision or batchable step, whose outcome is
/// in it: the result of step `i`, or null when there is none. Needed only for templates with
/// such steps (`task_template::dynamic`); stores pass their results through it.
using result_lookup = std::function<const json::value*(std::uint32_t step)>;

/// The pure decision core (DESIGN "Flow of one task"): given a task's template, its state,
/// its steps' status and what just happened, decide every state change and message. Every
/// store and broker shares this one function; it does no I/O and reads no clock, so a
/// seeded simulation replays it exactly.
///
/// `random` feeds retry jitter. Late or duplicate inputs (a result for an attempt that is
/// no longer current, a retry for a step that moved on) yield an empty decision. Operator
/// inputs that make no sense in the current state (cancel a complete task, reset a step
/// that did not fail) are `errc::illegal_transition` with a message saying why.
///
/// For a template with decision or batch steps (`task_template::dynamic`), a result of such a
/// step is judged by its outcome (read through `results`): the steps it creates are in
/// `created_steps`, or the outcome is refused and the step fails permanently
/// (`refused_results`).
result<void> decide(const task_template& tmpl, const task_id& task, task_state state,
                    std::span<const step_status> steps, const decision_input& in, std::uint64_t random,
                    decision& out, const result_lookup& results = {});

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
/// For a task whose steps are not its template's (decision or batch steps), `step_names`
/// holds each step's name by index, empty for a step that was not created.
result<decision_input> operator_input(const task_template& tmpl, const task_id& task, const operator_action& a,
                                      std::span<const std::string> step_names = {});

/// Applies a step change to a status the way every store must: the new state, and for
/// `reset` a fresh attempt count.
void apply_step_change(step_status& s, const step_change& c) noexcept;

/// Whether a step change clears the failure recorded with the step (a `reset` does: the
/// step starts over).
constexpr bool clears_failure(const step_change& c) noexcept { return c.event == step_event::reset; }

/// The result an operator's action gives a step: for `action::resolve_step` and
/// `action::complete_step`, the step's index (as `in`, made by `operator_input`, names it) and
/// the result the operator supplied. None for any other action.
std::optional<std::pair<std::uint32_t, json_ptr>> resolved_step_result(const decision_input& in,
                                                                        const operator_action& a);

/// Whether `who` may stand behind an operator action: an actor is named, and actor and reason
/// fit their caps. `errc::invalid_request` saying what is wrong otherwise.
result<void> check_operator_origin(const change_origin& who);

} // namespace tasker
