#pragma once

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/template_key.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace tasker {

/// How a template tells its tasks apart when they are submitted (`identity_strategy:` in its
/// YAML). The identity key decides: a task submitted with the key of an existing task of the
/// same template version is not created again; the existing one is returned, `created` false.
/// A template that names no strategy has the default: the caller's key when there is one,
/// else every submission creates a task.
enum class identity_strategy : std::uint8_t {
    /// The key is the digest of the task's canonical context (`canonical_digest`): a context
    /// submitted again, however its keys are ordered, its numbers spelled or its whitespace
    /// laid out, is the same task. The caller gives no key.
    strict,
    /// The caller must give the key: a submission without one is refused.
    caller_provided,
    /// Every submission creates a task; the caller gives no key.
    always_unique,
};

/// The template's spelling: "strict", "caller_provided", "always_unique".
std::string_view to_string(identity_strategy s) noexcept;
std::optional<identity_strategy> identity_strategy_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, identity_strategy s);

/// The identity key a task of template `key` is created with under `strategy` (empty: the
/// default), given the caller's `caller_key` and the task's `context`; empty means "always
/// create". A request the strategy does not allow is `errc::invalid_request`, saying why: a
/// key given to a `strict` or `always_unique` template (a caller who believes a key
/// deduplicates must learn that it does not), no key for a `caller_provided` one.
result<std::string> identity_key_for(const template_key& key, std::optional<identity_strategy> strategy,
                                     std::string caller_key, const json::value& context);

} // namespace tasker
