#pragma once

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/uuid.hpp>

#include <cstddef>
#include <string>

namespace tasker {

/// A task to create, already checked by the submitter (see `tasker::client::submit`): its
/// template resolved, its context validated against the template's input schema.
struct new_task {
    template_ptr tmpl;
    json_ptr context;
    /// Idempotency: creating a task with the identity key of an existing task of the same
    /// template returns the existing task instead of a new one. Empty: always create.
    std::string identity_key;
    /// Carried into every log line about the task; empty means the task id is used.
    std::string correlation_id;
};

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
