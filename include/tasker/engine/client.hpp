#pragma once

#include <tasker/asio.hpp>
#include <tasker/clock.hpp>
#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/template_key.hpp>
#include <tasker/store/task_store.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace tasker {

/// A request to run a workflow. Only `workflow` is required; the text fields are UTF-8
/// without control characters, within `request_limits` (docs/task-requests.md).
struct task_request {
    template_ref workflow; ///< namespace, name and (optionally) version of the template
    json::value context;   ///< the task's input, checked against the template's input_schema
    /// Resubmitting with the same key returns the same task, under the default identity
    /// strategy and `caller_provided` (which requires it); `strict` and `always_unique`
    /// templates refuse it (see `identity_strategy`).
    std::string identity_key;
    std::string correlation_id; ///< optional: carried into every log line of the task
    std::string parent_correlation_id; ///< optional: the correlation id of the work that caused this task
    std::string initiator;             ///< optional: who asked (a user, a service account)
    std::string source_system;         ///< optional: the system the request came from
    std::string reason;                ///< optional: why, in words
    std::vector<std::string> tags;     ///< optional: distinct labels to find the task by
    /// From -100 to 100, default 0: recorded with the task and returned; it does not change
    /// the order in which tasks or steps run.
    int priority = 0;
};

struct client_options {
    /// Largest accepted task context, serialised.
    std::size_t max_context_bytes = 1 << 20;
    /// Recorded as the actor of what this client does on its own (`cancel`).
    std::string actor = "client";
};

/// The submitting side of tasker: registers templates, submits tasks (validating their
/// input first), cancels, and reads tasks back. Bad input is rejected before anything is
/// created. `Store` must outlive the client.
template <task_store Store>
class client {
public:
    explicit client(Store& store, client_options options = {}, any_clock clock = {})
        : store_(store), options_(options), clock_(std::move(clock))
    {
    }

    /// Validates `t` (see `validate_template`) and registers it.
    awaitable<result<template_ptr>> register_template(task_template t, template_options options = {});

    /// Resolves the template (`errc::template_not_found`, `errc::version_not_found`),
    /// checks the context's size (`errc::payload_too_large`) and schema
    /// (`errc::invalid_context`, with every violation located), gives the task the identity
    /// key its template's `identity_strategy` calls for (`errc::invalid_request` if the request
    /// does not fit it), checks the request's other fields (`errc::invalid_request`, see
    /// `check_request_fields`), then creates the task. A request whose identity key names an
    /// existing task of the same template version creates nothing: the answer is that task,
    /// with `created` false.
    awaitable<result<task_created>> submit(task_request r);

    /// Submits many tasks at once, all or none: every request is checked as `submit` checks
    /// it (the first refusal is the answer, naming the request's position, and nothing is
    /// created), then the store creates them together -- for a PostgreSQL store, in one
    /// transaction of a few statements, where tasks submitted one by one cost a transaction
    /// each. The answers are in the order of the requests.
    awaitable<result<std::vector<task_created>>> submit_batch(std::vector<task_request> rs);

    awaitable<result<task_state>> cancel(task_id id);
    /// An operator's action on a task, recorded with `who` (an actor is required; see
    /// `check_operator_origin`).
    awaitable<result<task_state>> act(task_id id, operator_action a, change_origin who);
    awaitable<result<task_view>> get(task_id id);

    /// A page of the tasks matching `filter`, newest first, and the cursor to the next page
    /// (empty on the last one): pass it back in `filter.cursor`, with the same filter, for the
    /// next page. A bad filter or cursor is `errc::invalid_request` (see `check_filter`).
    awaitable<result<task_page>> list(task_filter filter);

    /// Per template, the tasks started in [`q.from`, `q.to`) by how they stand now, their
    /// durations and their slowest and most retried steps, and every task by state (see
    /// `task_store` requirement 14). A bad query is `errc::invalid_request`
    /// (`check_analytics_query`).
    awaitable<result<task_analytics>> analytics(analytics_query q);

    /// The task once it reaches a terminal state, or `errc::timeout` at `deadline`.
    awaitable<result<task_view>> wait_until_finished(task_id id, time_point deadline);

private:
    /// `r` checked and turned into what the store creates; `tmpl` is its resolved template.
    result<new_task> prepare(task_request& r, template_ptr tmpl) const;

    Store& store_;
    client_options options_;
    any_clock clock_;
};

} // namespace tasker

#include <tasker/engine/impl/client.hpp>
