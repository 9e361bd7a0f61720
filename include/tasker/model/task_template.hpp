#pragma once

#include <tasker/dag/dag.hpp>
#include <tasker/model/dynamic_structure.hpp>
#include <tasker/error.hpp>
#include <tasker/model/identity_strategy.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/json_schema.hpp>
#include <tasker/model/step_template.hpp>
#include <tasker/model/template_key.hpp>
#include <tasker/model/time.hpp>
#include <tasker/retry/retry_policy.hpp>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// What the orchestrator does with a task that stays too long in one state.
enum class staleness_action : std::uint8_t { dlq, error, none };

/// The template's spelling: "dlq", "error", "none".
std::string_view to_string(staleness_action a) noexcept;
std::optional<staleness_action> staleness_action_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, staleness_action a);

/// `lifecycle:` staleness limits of a template (tasker-core's field names, in minutes).
struct lifecycle_limits {
    std::optional<std::chrono::minutes> max_duration;
    std::optional<std::chrono::minutes> max_waiting_for_dependencies;
    std::optional<std::chrono::minutes> max_waiting_for_retry;
    std::optional<std::chrono::minutes> max_steps_in_process;
    staleness_action action = staleness_action::dlq;
};

/// A workflow definition: a DAG of steps plus its input schema, retry and lifecycle
/// settings. Parsed from YAML by `load_template` or built in C++, then checked by
/// `validate_template`, after which it is immutable and shared by every task that runs it.
struct task_template {
    std::string name;
    std::string namespace_name;
    semver version;
    std::string description;
    json::value input_schema;  ///< JSON Schema (draft 7); null means "any context"
    json::value metadata;      ///< free-form, kept for operators
    /// Where the template was read from (tasker-core's `loaded_from`), kept for operators; it
    /// takes no part in whether two definitions are the same.
    std::string loaded_from;
    retry_settings retry;      ///< task-level defaults for every step (`retry:` at the top)
    lifecycle_limits lifecycle;
    /// How submitted tasks are told apart (`identity_strategy:`); unset: the default, the
    /// caller's identity key when given (see `identity_strategy`).
    std::optional<identity_strategy> identity;
    std::vector<step_template> steps;

    /// Filled by `validate_template`: the dependency graph over `steps`, by index.
    dag graph;
    /// Filled by `validate_template`: `input_schema` compiled (null when there is none).
    std::shared_ptr<const json_schema> schema;
    /// Filled by `validate_template` for templates with decision, batchable or batch_worker
    /// steps: which steps exist from the start, and what outcomes may create. Null otherwise.
    std::shared_ptr<const dynamic_structure> dynamic;

    template_key key() const { return template_key{namespace_name, name, version}; }

    /// Index of the step called `step_name`, if any.
    std::optional<std::uint32_t> step_index(std::string_view step_name) const noexcept;
};

using template_ptr = std::shared_ptr<const task_template>;

/// Options for turning text or a struct into a runnable template.
struct template_options {
    /// Defaults under every template's retry settings.
    retry_policy retry_defaults{};
    /// Name of the `environments:` entry whose overrides apply (empty: none).
    std::string environment;
    /// Bounds on what decision and batchable steps create in one task.
    creation_limits creation;
};

/// Checks everything and reports *every* problem with its location (`error::problems`):
/// names (and that the namespace's queue fits pgmq), duplicate steps, unknown dependencies,
/// cycles (with their path), retry values, timeouts, lifecycle limits, step types, batch
/// configurations, input_schema and result_schema. On success fills `graph`, `schema` and each
/// step's `effective_retry` and `compiled_result_schema`.
result<task_template> validate_template(task_template t, const template_options& options = {});

/// Parses a YAML task template (tasker-core's format) and validates it. Syntax errors come
/// back as `errc::malformed_yaml` with line and column; everything else as
/// `errc::invalid_template` with every problem located by path, line and column.
result<task_template> load_template(std::string_view yaml, const template_options& options = {});

/// Reads and loads a template file; the file name prefixes each problem.
result<task_template> load_template_file(const std::string& path, const template_options& options = {});

} // namespace tasker
