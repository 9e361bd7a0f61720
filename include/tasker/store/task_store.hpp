#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/template_key.hpp>
#include <tasker/store/new_task.hpp>
#include <tasker/store/change_origin.hpp>
#include <tasker/store/dead_letter.hpp>
#include <tasker/store/operator_action.hpp>
#include <tasker/store/retention.hpp>
#include <tasker/store/staleness_sweep.hpp>
#include <tasker/store/task_analytics.hpp>
#include <tasker/store/step_claim.hpp>
#include <tasker/store/step_outcome.hpp>
#include <tasker/store/task_view.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tasker {

/// The source of truth for templates, tasks, steps and their history. Operations are
/// task-level, not CRUD: each is one atomic unit that changes state by compare-and-set and
/// commits the messages the change causes with it (DESIGN "Flow of one task").
///
/// Every operation is a coroutine returning `awaitable<result<T>>`; it takes its arguments
/// by value, completes on the awaiting coroutine's executor, and a transient failure
/// (`is_transient`) may be retried by the caller. Requirements, for a store `s`:
///
/// 1. `s.register_template(t)`: store a validated template. Same (namespace, name,
///    version) with the same content is a no-op; other content is `errc::template_conflict`.
/// 2. `s.find_template(ref)`: the exact version, or the newest when `ref.version` is empty;
///    `s.list_templates()`: every registered template (workers check their handlers).
/// 3. `s.create_task(nt)`: insert the task and its steps, start it through the decision
///    core (ready roots become `enqueued`) and send their messages, all or nothing.
///    Idempotent by `nt.identity_key`. The request's fields are kept with the task as given;
///    a task that breaks their rules (`check_request_fields`) is refused, nothing created.
///    `s.create_tasks(batch)`: the same for every task of `batch`, all or nothing: the
///    answers in order (a repeated identity key, within the batch or not, answers the task it
///    names), or the first task's error (with its position) and nothing created.
/// 4. `s.claim_steps(reqs)`: per request, compare-and-set `enqueued` -> `in_progress` for
///    the named attempt (attempts + 1, lease set); see `claim_status` for the other answers.
///    An `in_progress` attempt whose lease ran out is recorded as failed (worker lost).
/// 5. `s.extend_leases(exts)`: per extension, true if the attempt is still the caller's.
/// 6. `s.record_results(outcomes)`: per outcome, compare-and-set `in_progress` (that
///    attempt) -> `enqueued_for_orchestration` / `enqueued_as_error_for_orchestration`,
///    store the result or failure, and send a `step_result` message, atomically.
/// 7. `s.orchestrate(events)`: for each `step_result` / `retry_due` message, under a per-task
///    lock, run the decision core and commit its changes and messages atomically.
///    Duplicates and late messages are no-ops.
/// 8. `s.apply_action(id, a, who)`: an operator action through the decision core, its
///    transitions recorded with `who` (`check_operator_origin`); the new task state, or why
///    the action is not possible now. Reopening or resolving a task in error closes its open
///    dead-letter entry as `manually_resolved` by `who.actor`.
/// 9. `s.get_task(id)` (with every transition's origin and every failed attempt's error),
///    `s.list_tasks(filter)`: queries. A listing
///    goes through `check_filter` (a bad filter or cursor is refused) and `make_page`: the
///    tasks matching every field set, newest first (by id), below the cursor's task, one page.
///    Walking the pages from the first lists no task twice, and every task that matches
///    throughout the walk once, whatever is created meanwhile.
/// 10. `s.checkpoint_steps(cps)`: per checkpoint, if the attempt is still the caller's (as 5),
///    store its data as the step's checkpoint and extend its lease, atomically; true then.
///    A later claim of the step carries the last checkpoint.
/// 11. `s.sweep_stale(sweep)`: finds tasks past (or, per `report_from`, near) a lifecycle
///    limit (`judge_staleness`), the most overdue first, and unless `dry_run` expires those
///    past one whose action is not `none` (`input::expire`), each under its task lock and
///    judged again there, so concurrent passes handle each task once.
/// 12. `s.dead_letters(f)`: a page of the dead-letter queue (`check_dead_letter_filter`);
///    `s.dead_letter_of(id)`: the task's latest entry (`errc::task_not_found` if it has none);
///    `s.dead_letter_counts()`: entries by cause and status.
/// 13. `s.update_dead_letter(entry, u)`: an investigator's status change or note
///    (`check_dead_letter_update`, `apply_dead_letter_update`); the entry as it is now, or
///    `errc::task_not_found` for an unknown entry.
/// 14. `s.analytics(q)`: per template version, the tasks created in [`q.from`, `q.to`) counted
///    by how they stand now, their durations and their steps' attempt times and retries over
///    the newest `q.sample` finished ones (`check_analytics_query`; figures by
///    `template_tally`), and every task the store holds counted by state. Read-only; cheap
///    enough to call every few seconds on a store of a million tasks.
/// 15. `s.purge_finished(p)`: one batch of retention (`check_retention`): takes up to
///    `p.batch` finished tasks that `may_retire` at `retention_cutoff(p, now)`, older first,
///    with their steps and history, deleted or archived per `p.mode` (a store that cannot
///    archive refuses with `errc::invalid_request`). Each goes under its task lock and is
///    judged again there, so concurrent passes take each task once and a task reopened
///    meanwhile stays. Dead-letter entries stay. A duplicate or late message naming a task
///    that is gone is a no-op, as for any unknown task. A store that archives the messages it
///    read (PostgreSQL's PGMQ queues) deletes those older than the same cutoff too.
/// Every change records its origin on the transitions it writes: claims and results their
/// worker (`worker:<owner>`), orchestration the store's `actor` setting.
template <class S>
concept task_store = requires(S& s, task_template t, template_ref ref, new_task nt, std::vector<new_task> batch,
                              std::vector<claim_request> claims,
                              std::vector<lease_extension> leases, std::vector<step_outcome> outcomes,
                              std::vector<message> events, task_id id, operator_action a, task_filter filter,
                              std::vector<step_checkpoint> checkpoints, change_origin who,
                              staleness_sweep sweep, dead_letter_filter dlf, std::uint64_t entry,
                              dead_letter_update update, analytics_query aq, retention_pass retention) {
    { s.register_template(t) } -> std::same_as<awaitable<result<template_ptr>>>;
    { s.find_template(ref) } -> std::same_as<awaitable<result<template_ptr>>>;
    { s.list_templates() } -> std::same_as<awaitable<result<std::vector<template_ptr>>>>;
    { s.create_task(nt) } -> std::same_as<awaitable<result<task_created>>>;
    { s.create_tasks(batch) } -> std::same_as<awaitable<result<std::vector<task_created>>>>;
    { s.claim_steps(claims) } -> std::same_as<awaitable<result<std::vector<claim_outcome>>>>;
    { s.extend_leases(leases) } -> std::same_as<awaitable<result<std::vector<bool>>>>;
    { s.record_results(outcomes) } -> std::same_as<awaitable<result<std::vector<record_status>>>>;
    { s.orchestrate(events) } -> std::same_as<awaitable<result<void>>>;
    { s.apply_action(id, a, who) } -> std::same_as<awaitable<result<task_state>>>;
    { s.get_task(id) } -> std::same_as<awaitable<result<task_view>>>;
    { s.list_tasks(filter) } -> std::same_as<awaitable<result<task_page>>>;
    { s.checkpoint_steps(checkpoints) } -> std::same_as<awaitable<result<std::vector<bool>>>>;
    { s.sweep_stale(sweep) } -> std::same_as<awaitable<result<std::vector<stale_task>>>>;
    { s.dead_letters(dlf) } -> std::same_as<awaitable<result<dead_letter_page>>>;
    { s.dead_letter_of(id) } -> std::same_as<awaitable<result<dead_letter>>>;
    { s.dead_letter_counts() } -> std::same_as<awaitable<result<dead_letter_counts>>>;
    { s.update_dead_letter(entry, update) } -> std::same_as<awaitable<result<dead_letter>>>;
    { s.analytics(aq) } -> std::same_as<awaitable<result<task_analytics>>>;
    { s.purge_finished(retention) } -> std::same_as<awaitable<result<retention_report>>>;
};

} // namespace tasker
