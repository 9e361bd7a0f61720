#pragma once

#include <tasker/model/json.hpp>
#include <tasker/model/time.hpp>
#include <tasker/retry/retry_policy.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// The kinds of step tasker-core templates declare. This version runs `standard` steps;
/// validation rejects the others with a clear message rather than running them wrongly.
enum class step_type : std::uint8_t { standard, decision, deferred_convergence, batchable, batch_worker };

std::string_view to_string(step_type t) noexcept;
std::optional<step_type> step_type_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, step_type t);

/// Which registered callable runs a step, and the configuration it is given.
struct handler_spec {
    std::string callable;       ///< the name the handler is registered under
    json::value initialization; ///< free-form config handed to the handler (object or null)
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

    /// Effective policy: step settings over task settings over `defaults`. Filled by
    /// `validate_template`.
    retry_policy effective_retry;
};

} // namespace tasker
