#pragma once

#include <tasker/error.hpp>
#include <tasker/model/batch_config.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/time.hpp>
#include <tasker/retry/retry_policy.hpp>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

class json_schema;

/// The kinds of step tasker-core templates declare. This version runs `standard` steps;
/// validation rejects the others with a clear message rather than running them wrongly.
enum class step_type : std::uint8_t { standard, decision, deferred_convergence, batchable, batch_worker };

std::string_view to_string(step_type t) noexcept;
std::optional<step_type> step_type_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, step_type t);

/// Which registered callable runs a step, and the configuration it is given.
struct handler_spec {
    std::string callable;       ///< the name the handler is registered under
    /// The entry point of the callable to run (tasker-core's `handler.method`, e.g. "validate");
    /// empty means the callable's default. A callable registered with
    /// `handler_registry::add_methods` runs the method named here; any other reads it as
    /// `step_context::method()`.
    std::string method;
    /// tasker-core's hint naming the resolver that finds the handler. Stored; handlers are
    /// found by `callable` alone here.
    std::string resolver;
    json::value initialization; ///< free-form config handed to the handler (object or null)
};

/// `lifecycle:` of one step (tasker-core puts it on batch workers).
struct step_lifecycle {
    /// The longest this step may stay claimed by a worker, over the template's
    /// `lifecycle.max_steps_in_process_minutes`.
    std::optional<std::chrono::minutes> max_steps_in_process;

    friend bool operator==(const step_lifecycle&, const step_lifecycle&) = default;
};

/// One step of a task template.
struct step_template {
    std::string name;
    std::string description;
    step_type type = step_type::standard;
    handler_spec handler;
    std::vector<std::string> dependencies; ///< names of steps that must finish first
    retry_settings retry;                  ///< as written in the template
    std::optional<seconds> timeout;        ///< per-attempt limit (`timeout_seconds`)
    step_lifecycle lifecycle;
    std::optional<batch_config> batch;     ///< `batch_config`, of batchable and batch_worker steps
    json::value result_schema;             ///< JSON Schema of a successful result; null: any result

    /// Effective policy: step settings over task settings over `defaults`. Filled by
    /// `validate_template`.
    retry_policy effective_retry;
    /// Filled by `validate_template`: `result_schema` compiled (null when there is none).
    std::shared_ptr<const json_schema> compiled_result_schema;
};

/// Checks a handler's successful `result` against the step's `result_schema` (compiled by
/// `validate_template`; a step without one accepts any result). On a mismatch,
/// `errc::invalid_result` whose message names the step and lists every violation with its JSON
/// path (`$.order.total: ...`); the same violations are in `error::problems`.
result<void> check_result(const step_template& step, const json::value& result);

} // namespace tasker
