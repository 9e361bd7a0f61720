#pragma once
// The `task_store` conformance suite: the concept's contract as Catch2 v2 test cases, for
// any store (and the broker it commits its messages to) a fixture can make. Header-only;
// include it in one test file. The cases live in conformance/, one header per contract
// group, on the base in conformance/store_suite.hpp.

#include <tasker/testing/conformance/store_analytics.hpp>
#include <tasker/testing/conformance/store_claims_and_results.hpp>
#include <tasker/testing/conformance/store_operations.hpp>
#include <tasker/testing/conformance/store_listing.hpp>
#include <tasker/testing/conformance/store_operator_actions.hpp>
#include <tasker/testing/conformance/store_queries.hpp>
#include <tasker/testing/conformance/store_retention.hpp>
#include <tasker/testing/conformance/store_task_creation.hpp>
#include <tasker/testing/conformance/store_templates.hpp>

/// Defines the store conformance suite's test cases for `Fixture` (a `store_fixture`; see
/// there), tagged `[conformance][store]` plus `tags` (a string literal, may be empty). Use
/// it at namespace scope, once per fixture, followed by a semicolon; several fixtures may
/// share a binary. `Fixture` must be a plain or qualified name: it becomes part of each
/// test's name.
#define TASKER_STORE_CONFORMANCE(Fixture, tags)                                                                        \
    static_assert(::tasker::testing::store_fixture<Fixture>, #Fixture " is not a store_fixture");                      \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_template_cases, register_template_is_idempotent,                     \
                             "register_template is idempotent and refuses other content")                              \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_template_cases, find_template_by_version,                            \
                             "find_template finds the newest or the exact version")                                    \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_task_creation_cases, create_task_starts_roots_with_messages,         \
                             "create_task enqueues the roots with their messages")                                     \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_task_creation_cases, create_task_rejects_unregistered_template,      \
                             "create_task with an unregistered template does nothing")                                 \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_task_creation_cases, create_task_is_idempotent_by_identity_key,      \
                             "create_task is idempotent by identity key")                                              \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_task_creation_cases, create_tasks_starts_every_task,                 \
                             "create_tasks starts every task of the batch, answers in order")                          \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_task_creation_cases, create_tasks_is_all_or_nothing,                 \
                             "create_tasks refuses the whole batch for one bad task")                                  \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_task_creation_cases, create_task_commits_state_before_messages,      \
                             "no message is readable before the state it names")                                       \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, claim_is_compare_and_set,                    \
                             "of two claims of one step exactly one wins")                                             \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, claim_answers,                               \
                             "claim_steps answers claimed, busy, stale and not_found")                                 \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, claim_returns_to_its_owner,                  \
                             "a claim asked again by its owner is the owner's, busy for anyone else")                  \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, record_results_once,                         \
                             "a result is recorded once, duplicates are ignored")                                      \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, orchestrate_moves_on_once,                   \
                             "orchestrate moves a task on once per result")                                            \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, failed_attempt_is_retried_after_backoff,     \
                             "a failed attempt is retried after its backoff")                                          \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, extend_leases_only_for_own_claims,           \
                             "extend_leases holds only the caller's live claim")                                       \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_claim_and_result_cases, checkpoints_only_for_the_running_attempt,    \
                             "checkpoint_steps keeps only the running attempt's checkpoint, holding its lease")        \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operator_action_cases, cancel_running_task,                          \
                             "cancel stops a running task and its steps")                                              \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operator_action_cases, resolve_step_starts_dependents,               \
                             "resolve_step completes a step by hand and starts its dependents")                        \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operator_action_cases, illegal_actions_change_nothing,               \
                             "illegal operator actions are typed errors and change nothing")                           \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_query_cases, queries_and_dead_letters,                               \
                             "get_task, list_tasks and dead_letters")                                                  \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operation_cases, staleness_pass_expires_once,                        \
                             "a staleness pass reports, dry-runs and expires a stale task once")                       \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operation_cases, concurrent_passes_expire_each_task_once,            \
                             "concurrent staleness passes expire each stale task once")                                \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operation_cases, staleness_actions_error_and_none,                   \
                             "staleness action error ends a task without a dead letter, none only reports it")         \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operation_cases, dead_letter_queue_tracks_investigations,            \
                             "the dead-letter queue lists, pages, counts and tracks investigations")                   \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operation_cases, complete_step_and_retry_failed,                     \
                             "a step completed by hand feeds its dependent; retry_failed resets every failed step")    \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_operation_cases, history_keeps_every_attempt_and_its_origin,         \
                             "the history keeps every attempt, its worker and error, and who made each change")        \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_retention_cases, retention_takes_old_finished_tasks,                 \
                             "retention takes old finished tasks in batches and keeps what may still be needed")        \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_retention_cases, retention_frees_identities_and_refuses_bad_passes,  \
                             "retention frees identity keys and refuses bad passes")                                   \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_retention_cases, concurrent_retention_takes_each_task_once,          \
                             "concurrent retention passes take each task once")                                        \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_listing_cases, request_fields_round_trip,                           \
                             "a task request's fields come back as given")                                             \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_listing_cases, each_filter_narrows,                                 \
                             "each listing filter narrows to the tasks that match")                                    \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_listing_cases, paging_walks_every_task_once,                        \
                             "listing pages walk every task once, whatever is created meanwhile")                      \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_listing_cases, bad_fields_and_cursors_change_nothing,               \
                             "bad request fields, filters and cursors are refused and change nothing")                 \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_analytics_cases, analytics_counts_the_window,                        \
                             "analytics counts the tasks started in its window by how they stand")                     \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_analytics_cases, analytics_ranks_steps_and_samples,                  \
                             "analytics ranks slow and retried steps over the newest finished tasks")                  \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, store_analytics_cases, bad_analytics_queries_are_refused,                  \
                             "bad analytics queries are refused, saying what is wrong")                                \
    static_assert(true, "TASKER_STORE_CONFORMANCE is followed by a semicolon")

/// One test case of the store suite (for `TASKER_STORE_CONFORMANCE`).
#define TASKER_DETAIL_STORE_CASE(Fixture, tags, cases, method, title)                                                  \
    TEST_CASE("store conformance (" #Fixture "): " title, "[conformance][store]" tags)                                 \
    {                                                                                                                  \
        Fixture fixture;                                                                                               \
        ::tasker::testing::cases<Fixture>(fixture).method();                                                           \
    }
