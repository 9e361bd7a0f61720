#pragma once

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/uuid.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// A task to create, already checked by the submitter (see `tasker::client::submit`): its
/// template resolved, its context validated against the template's input schema, its identity
/// key chosen by the template's identity strategy. The store checks the request's fields
/// (`check_request_fields`) before it creates anything.
struct new_task {
    template_ptr tmpl;
    json_ptr context;
    /// Idempotency: creating a task with the identity key of an existing task of the same
    /// template returns the existing task instead of a new one. Empty: always create.
    std::string identity_key;
    /// Carried into every log line about the task; empty means the task id is used.
    std::string correlation_id;

    // What the submitter says about the request: kept with the task, returned with it, and what
    // listings filter on (see `task_filter`). Empty (0 for `priority`): not given.
    std::string parent_correlation_id; ///< the correlation id of the work that caused this task
    std::string initiator;             ///< who asked: a user, a service account
    std::string source_system;         ///< the system the request came from
    std::string reason;                ///< why, in words
    std::vector<std::string> tags;     ///< labels to find the task by; distinct
    /// Recorded and returned; it does not change the order in which tasks or steps run.
    int priority = 0;
};

/// The bounds of a task request's fields, which `check_request_fields` enforces. Text fields
/// are UTF-8 without control characters; lengths are in bytes.
namespace request_limits {
inline constexpr std::size_t identity_key_bytes = 256;
/// correlation_id, parent_correlation_id, initiator, source_system.
inline constexpr std::size_t label_bytes = 128;
inline constexpr std::size_t reason_bytes = 1024;
inline constexpr std::size_t tags = 32;
/// A tag is 1 to 64 of `A-Z a-z 0-9 _ - . : / = @`.
inline constexpr std::size_t tag_bytes = 64;
inline constexpr int min_priority = -100;
inline constexpr int max_priority = 100;
} // namespace request_limits

/// Whether `t`'s request fields (identity key, correlation ids, initiator, source system,
/// reason, tags, priority) keep to `request_limits`: `errc::invalid_request` otherwise, with
/// one located problem per field that does not (`tags[2]`, `priority`), every one of them.
/// Both stores refuse such a task before they create anything.
result<void> check_request_fields(const new_task& t);

/// The outcome of `create_task`.
struct task_created {
    task_id id;
    bool created = true; ///< false: the identity key matched an existing task, returned instead
};

/// `e`, the error of the task at `position` (from 0) of a batch of `size`, saying so: a batch
/// is refused whole, and the caller must learn which task was wrong. A batch of one is just
/// that task (a store's create_task made of create_tasks): its error stays as it is.
inline error in_batch(error e, std::size_t position, std::size_t size)
{
    if (size > 1)
        e.message = "task " + std::to_string(position + 1) + " of " + std::to_string(size) + ": " + e.message;
    return e;
}

} // namespace tasker
