#pragma once

#include <tasker/model/json.hpp>

#include <string>
#include <variant>

namespace tasker {

/// Things an operator (or a client) does to a task from outside its normal flow. A task in
/// `error` reopens when its failed steps are reset, resolved or completed, and runs on.
namespace action {
struct cancel {};                                ///< stop the task; running handlers are told to stop
struct resolve_step { std::string step; json_ptr result; }; ///< mark a step done by hand (`resolved_manually`)
/// Complete a step by hand (`complete`) with `result`, which its dependents read as if its
/// handler had returned it.
struct complete_step { std::string step; json_ptr result; };
struct reset_step { std::string step; };          ///< give a failed step a fresh set of attempts
struct retry_failed {};                           ///< reset every step of the task that is in error
struct resolve_task {};                           ///< close a failed task by hand
} // namespace action

using operator_action = std::variant<action::cancel, action::resolve_step, action::reset_step, action::resolve_task,
                                     action::complete_step, action::retry_failed>;

} // namespace tasker
