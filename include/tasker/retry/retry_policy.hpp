#pragma once

#include <tasker/model/time.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace tasker {

/// How the delay between attempts grows.
enum class backoff_kind : std::uint8_t {
    exponential, ///< base * multiplier^(attempt-1)
    linear,      ///< base * attempt
    constant,    ///< base
    none,        ///< no delay: the next attempt is due at once
    fibonacci,   ///< base * fib(attempt): 1, 1, 2, 3, 5, 8, ... times base
};

std::string_view to_string(backoff_kind k) noexcept;
std::optional<backoff_kind> backoff_kind_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, backoff_kind k);

/// The effective retry policy of one step, after template and global defaults are merged.
///
/// `max_attempts` counts every attempt, the first included; the first attempt always runs,
/// whatever `retryable` and `max_attempts` say.
struct retry_policy {
    bool retryable = true;
    std::uint32_t max_attempts = 3;
    backoff_kind backoff = backoff_kind::exponential;
    milliseconds base{1000};      ///< delay after the first failed attempt
    double multiplier = 2.0;      ///< growth factor of exponential backoff
    milliseconds max{300'000};    ///< cap for computed and handler-requested delays
    double jitter = 0.1;          ///< +/- fraction applied to computed delays, in [0, 1]

    friend bool operator==(const retry_policy&, const retry_policy&) = default;
};

/// Retry settings as written in a template: each field optional, so that a step's
/// settings override the task's, which override the global defaults field by field.
struct retry_settings {
    std::optional<bool> retryable;
    std::optional<std::uint32_t> max_attempts;
    std::optional<backoff_kind> backoff;
    std::optional<milliseconds> base;
    std::optional<double> multiplier;
    std::optional<milliseconds> max;
    std::optional<double> jitter;

    /// `*this` over `defaults`: fields set here win.
    retry_policy over(const retry_policy& defaults) const noexcept;
    /// `*this` over `lower`, field by field, still optional.
    retry_settings over(const retry_settings& lower) const noexcept;

    friend bool operator==(const retry_settings&, const retry_settings&) = default;
};

} // namespace tasker
