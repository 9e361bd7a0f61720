#pragma once
// Internal to tasker::postgres: a registered template as the store keeps it in
// tasker.templates, and back.

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>

#include <string_view>

namespace tasker::postgres::detail {

/// `t` in its YAML format (tasker-core's keys), written as JSON. JSON is YAML, so
/// `load_template` reads it back through the same parser and validation as a template file:
/// there is one reader of templates, not a second one for the database. Environment
/// overrides were applied when `t` was loaded, so the steps are written as they run.
json::object definition_json(const task_template& t);

/// Each step's effective retry policy: it depends on the defaults of the process that
/// registered the template, not only on the text.
json::array effective_retry_json(const task_template& t);

/// The template back from the two columns. The definition must load and validate, and the
/// policies must match its steps, or the row is `errc::database_error` (it was not written by
/// `definition_json`).
result<task_template> template_from_json(std::string_view definition, std::string_view effective_retry,
                                         const creation_limits& creation = {});

} // namespace tasker::postgres::detail
