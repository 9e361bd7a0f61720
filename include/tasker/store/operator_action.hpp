#pragma once

#include <tasker/model/json.hpp>

#include <string>
#include <variant>

namespace tasker {

/// Things an operator (or a client) does to a task from outside its normal flow.
namespace action {
struct cancel {};                                ///< stop the task; running handlers are told to stop
struct resolve_step { std::string step; json_ptr result; }; ///< mark a step done by hand, with its result
struct reset_step { std::string step; };          ///< give a failed step a fresh set of attempts
struct resolve_task {};                           ///< close a failed task by hand
} // namespace action

using operator_action = std::variant<action::cancel, action::resolve_step, action::reset_step, action::resolve_task>;

} // namespace tasker
