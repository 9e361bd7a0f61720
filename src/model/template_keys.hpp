#pragma once
// The keys each mapping of a task template may have (tasker-core's format), and the message
// for a key that is not one of them.

#include <span>
#include <string>
#include <string_view>

namespace tasker::detail {

using keys = std::span<const std::string_view>;

inline constexpr std::string_view template_keys[] = {
    "name", "namespace_name", "version", "description", "input_schema", "metadata",
    "retry", "lifecycle", "steps", "environments", "loaded_from", "identity_strategy",
};
// tasker-core keys this version reads past: they configure features it does not have.
inline constexpr std::string_view ignored_template_keys[] = {
    "task_handler", "system_dependencies", "domain_events", "module_namespace", "default_dependent_system",
    "custom_events",
};
inline constexpr std::string_view step_keys[] = {
    "name", "description", "type", "step_type", "handler", "dependencies", "depends_on", "retry",
    "timeout_seconds", "lifecycle", "batch_config", "result_schema",
};
inline constexpr std::string_view ignored_step_keys[] = {
    "publishes_events", "system_dependency", "dependent_system", "metadata", "composition",
};
inline constexpr std::string_view handler_keys[] = {"callable", "method", "resolver", "initialization"};
inline constexpr std::string_view retry_keys[] = {
    "retryable", "max_attempts", "limit", "backoff", "backoff_base_ms", "max_backoff_ms", "initial_delay",
    "max_delay", "backoff_multiplier", "jitter",
};
inline constexpr std::string_view lifecycle_keys[] = {
    "max_duration_minutes", "max_waiting_for_dependencies_minutes", "max_waiting_for_retry_minutes",
    "max_steps_in_process_minutes", "staleness_action",
};
inline constexpr std::string_view ignored_lifecycle_keys[] = {"auto_fail_on_timeout", "auto_dlq_on_timeout"};
inline constexpr std::string_view step_lifecycle_keys[] = {"max_steps_in_process_minutes"};
// tasker-core writes them on steps without reading them; retry.max_attempts and
// retry.backoff_multiplier are the settings that count.
inline constexpr std::string_view ignored_step_lifecycle_keys[] = {"max_retries", "backoff_multiplier"};
inline constexpr std::string_view batch_config_keys[] = {
    "batch_size", "parallelism", "cursor_field", "worker_template", "failure_strategy",
};
inline constexpr std::string_view override_step_keys[] = {"name", "handler", "retry", "timeout_seconds"};
inline constexpr std::string_view environment_keys[] = {"steps"};

/// The step name of an environment override that applies to every step.
inline constexpr std::string_view all_steps = "ALL";

bool contains(keys ks, std::string_view k);

/// "unknown key 'k' in where", with the closest of `known` suggested if it is a near miss.
std::string unknown_key_message(std::string_view key, std::string_view where, keys known);

} // namespace tasker::detail
