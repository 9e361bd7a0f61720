#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace tasker {

/// How a failed attempt is classified. Decides whether the step may run again.
enum class error_kind : std::uint8_t {
    retryable, ///< may succeed if tried again (network blip, 503, thrown exception)
    permanent, ///< will never succeed (bad input, 4xx): never retried
    timeout,   ///< the attempt ran out of time or its worker was lost: retryable
};

std::string_view to_string(error_kind k) noexcept;
std::optional<error_kind> error_kind_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, error_kind k);

/// True for the kinds the retry policy may retry.
constexpr bool is_retryable(error_kind k) noexcept { return k != error_kind::permanent; }

} // namespace tasker
