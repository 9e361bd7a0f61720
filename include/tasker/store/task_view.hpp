#pragma once

#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/state/step_state.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/change_origin.hpp>
#include <tasker/store/dead_letter.hpp>
#include <tasker/store/step_outcome.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// One row of a task's append-only history. `seq` orders task and step transitions of a
/// task together.
/// `origin` says who made the change and why (null: not recorded); rows of one change share it.
struct task_transition {
    std::uint32_t seq = 0;
    task_state from;
    task_state to;
    task_event event;
    time_point at;
    std::shared_ptr<const change_origin> origin;

    const std::string& actor() const noexcept;
    const std::string& reason() const noexcept;
};

struct step_transition {
    std::uint32_t seq = 0;
    std::uint32_t step = 0;
    std::uint32_t attempt = 0; ///< the step's attempt count after the transition
    step_state from;
    step_state to;
    step_event event;
    time_point at;
    std::shared_ptr<const change_origin> origin;

    const std::string& actor() const noexcept;
    const std::string& reason() const noexcept;
};

/// One attempt of a step as its history tells it: when it was claimed and by whom, how it
/// ended and how long it ran. Every attempt is kept, not only the last.
struct step_attempt {
    std::uint32_t step = 0;
    std::uint32_t number = 0;          ///< 1, 2, ... (counted again from 1 after a reset)
    std::string worker;                ///< the claim's actor (`worker:<owner>`)
    time_point started_at;
    std::optional<time_point> ended_at; ///< none: still running, or lost without a result
    /// Where the attempt ended: `succeed`, `fail`, `expire`, `cancel`, ...; none while running.
    std::optional<step_event> outcome;
    std::optional<step_failure> failure; ///< the error it failed with, when the store kept it

    std::optional<duration> elapsed() const
    {
        return ended_at ? std::optional<duration>(*ended_at - started_at) : std::nullopt;
    }
};

struct step_view {
    std::uint32_t index = 0;
    std::string name;
    step_state state = step_state::pending;
    std::uint32_t attempts = 0;
    json_ptr result;
    std::optional<step_failure> last_error;
    json_ptr checkpoint; ///< a batch worker's last `batch_checkpoint`; null: none
};

/// A failed attempt's error, kept with the step and attempt it belongs to.
struct step_failure_record {
    std::uint32_t step = 0;
    step_failure failure; ///< `failure.attempt` is the attempt's number
};

/// A task as stored: state, steps and full history. For queries, tests and operators.
struct task_view {
    task_id id;
    template_ptr tmpl;
    task_state state = task_state::pending;
    json_ptr context;
    std::string identity_key;
    std::string correlation_id;
    // The request's fields, as submitted (see `new_task`).
    std::string parent_correlation_id;
    std::string initiator;
    std::string source_system;
    std::string reason;
    std::vector<std::string> tags;
    int priority = 0;
    time_point created_at;
    time_point updated_at;
    std::vector<step_view> steps;
    std::vector<task_transition> task_transitions;
    std::vector<step_transition> step_transitions;

    /// Failures of earlier attempts (a step's `last_error` is its latest), in the order they
    /// happened: with the history, every attempt's outcome (see `attempts`).
    std::vector<step_failure_record> failures;

    /// The step called `name`, or nullptr.
    const step_view* step(std::string_view name) const noexcept;

    /// Every attempt of step `step` (all steps when none), in the order they started, read
    /// off the history and the recorded failures.
    std::vector<step_attempt> attempts(std::optional<std::uint32_t> step = std::nullopt) const;
};

/// A line of a task listing.
struct task_summary {
    task_id id;
    template_key key;
    task_state state = task_state::pending;
    time_point created_at;
    time_point updated_at;
    // The request's fields, as submitted (see `new_task`).
    std::string correlation_id;
    std::string parent_correlation_id;
    std::string initiator;
    std::string source_system;
    std::string reason;
    std::vector<std::string> tags;
    int priority = 0;
};

/// Which tasks to list, newest first (by id: ids are time-ordered), a page at a time. Unset
/// fields match every task; set ones must all match. Strings match exactly, and must be
/// values a request may hold (`check_filter`).
struct task_filter {
    std::optional<std::string> namespace_name;
    std::optional<task_state> state;
    std::optional<std::string> template_name; ///< any version
    std::optional<std::string> initiator;
    std::optional<std::string> source_system;
    std::optional<std::string> tag; ///< tasks that have this tag among theirs
    std::optional<std::string> correlation_id;
    std::optional<std::string> parent_correlation_id;
    std::optional<time_point> created_after;  ///< created at this time or later
    std::optional<time_point> created_before; ///< created before this time
    /// Tasks per page, 1 to `task_filter::max_limit`.
    std::size_t limit = 100;
    /// Empty: the first page. Else the `next_cursor` of the page before, listed with the same
    /// filter (`limit` may differ).
    std::string cursor;

    static constexpr std::size_t max_limit = 1000;
};

/// A page of a task listing.
struct task_page {
    std::vector<task_summary> tasks;
    /// Where the next page starts (pass it as `task_filter::cursor`); empty on the last page.
    std::string next_cursor;
};

} // namespace tasker
