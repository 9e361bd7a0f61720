#pragma once

#include <tasker/core/decision.hpp>
#include <tasker/error.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/store/dead_letter.hpp>
#include <tasker/store/step_outcome.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace tasker {

/// The shape every store keeps as a dead-letter entry's `snapshot`: the task's state and each
/// step's name, state, attempts and last error when the entry was made.
/// `{"state": "error", "steps": [{"name", "state", "attempts", "error": {"kind", "message",
/// "attempt"} | null}, ...]}`; stores add the task's `context` and `correlation_id`.
/// `failure_of(i)` is the failure recorded for step `i` (null if none); `step_names` as for
/// `summarize_dead_letter`. Steps no outcome created are left out.
template <class FailureOf>
json::object dead_letter_snapshot(const task_template& tmpl, task_state state, std::span<const step_status> steps,
                                  FailureOf&& failure_of, std::span<const std::string> step_names = {});

/// One step of a snapshot (what `dead_letter_snapshot` writes per step).
json::object snapshot_step(const std::string& name, const step_status& s, const step_failure* failure);

/// Checks a listing's filter: limit in 1..1000, a cursor this order's pages make.
/// `errc::invalid_request` saying what is wrong.
result<void> check_dead_letter_filter(const dead_letter_filter& f);

/// Where a page of `f.order` resumes: after the entry with `id` (and, for the investigation
/// order, `priority`). `cursor_after` makes the cursor, `parse_cursor` reads it back.
struct dead_letter_position {
    std::uint64_t id = 0;
    std::int32_t priority = 0;
};
std::string cursor_after(const dead_letter& last, dead_letter_order order);
result<dead_letter_position> parse_cursor(const std::string& cursor, dead_letter_order order);

/// Whether `e` belongs on the listing `f` (status, cause, namespace, and for the
/// investigation order only open entries), ignoring paging.
bool matches(const dead_letter& e, const dead_letter_filter& f);
/// Whether `e` comes after the page position `p` in `order`.
bool comes_after(const dead_letter& e, const dead_letter_position& p, dead_letter_order order);
/// Whether `a` is listed before `b` in `order`.
bool listed_before(const dead_letter& a, const dead_letter& b, dead_letter_order order);

/// Checks an investigator's update: an actor, something to change, a note within its cap.
result<void> check_dead_letter_update(const dead_letter_update& u);

/// Applies a checked update at `now`: a new status (closing it records who and when,
/// reopening clears them) and the note, if any.
void apply_dead_letter_update(dead_letter& e, const dead_letter_update& u, time_point now);

/// The longest note a store accepts.
inline constexpr std::size_t max_note_length = 10000;

// ---- implementation ----

template <class FailureOf>
json::object dead_letter_snapshot(const task_template& tmpl, task_state state, std::span<const step_status> steps,
                                  FailureOf&& failure_of, std::span<const std::string> step_names)
{
    json::array out;
    for (std::uint32_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].created)
            continue;
        const auto& name = i < step_names.size() && !step_names[i].empty() ? step_names[i]
                                                                          : tmpl.steps[steps[i].definition_or(i)].name;
        out.push_back(snapshot_step(name, steps[i], failure_of(i)));
    }
    return json::object{{"state", to_string(state)}, {"steps", std::move(out)}};
}

} // namespace tasker
