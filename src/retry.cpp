#include <tasker/retry/backoff.hpp>
#include <tasker/retry/error_kind.hpp>
#include <tasker/retry/retry_policy.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <ostream>

namespace tasker {

std::string_view to_string(error_kind k) noexcept
{
    switch (k) {
    case error_kind::retryable: return "retryable";
    case error_kind::permanent: return "permanent";
    case error_kind::timeout: return "timeout";
    }
    return "unknown";
}

std::optional<error_kind> error_kind_from_string(std::string_view s) noexcept
{
    for (auto k : {error_kind::retryable, error_kind::permanent, error_kind::timeout})
        if (to_string(k) == s)
            return k;
    return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, error_kind k) { return os << to_string(k); }

std::string_view to_string(backoff_kind k) noexcept
{
    switch (k) {
    case backoff_kind::exponential: return "exponential";
    case backoff_kind::linear: return "linear";
    case backoff_kind::constant: return "constant";
    case backoff_kind::none: return "none";
    case backoff_kind::fibonacci: return "fibonacci";
    }
    return "unknown";
}

std::optional<backoff_kind> backoff_kind_from_string(std::string_view s) noexcept
{
    if (s == "fixed") // tasker-core's spelling
        return backoff_kind::constant;
    for (auto k : {backoff_kind::exponential, backoff_kind::linear, backoff_kind::constant, backoff_kind::none,
                   backoff_kind::fibonacci})
        if (to_string(k) == s)
            return k;
    return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, backoff_kind k) { return os << to_string(k); }

retry_policy retry_settings::over(const retry_policy& d) const noexcept
{
    return retry_policy{
        .retryable = retryable.value_or(d.retryable),
        .max_attempts = max_attempts.value_or(d.max_attempts),
        .backoff = backoff.value_or(d.backoff),
        .base = base.value_or(d.base),
        .multiplier = multiplier.value_or(d.multiplier),
        .max = max.value_or(d.max),
        .jitter = jitter.value_or(d.jitter),
    };
}

retry_settings retry_settings::over(const retry_settings& lower) const noexcept
{
    const auto pick = [](const auto& a, const auto& b) { return a ? a : b; };
    return retry_settings{
        .retryable = pick(retryable, lower.retryable),
        .max_attempts = pick(max_attempts, lower.max_attempts),
        .backoff = pick(backoff, lower.backoff),
        .base = pick(base, lower.base),
        .multiplier = pick(multiplier, lower.multiplier),
        .max = pick(max, lower.max),
        .jitter = pick(jitter, lower.jitter),
    };
}

namespace {

// fib(n) for n >= 1 (1, 1, 2, 3, 5, ...), or the first term above `enough`: past the cap the
// exact term does not matter, and stopping there keeps a large attempt number cheap.
double fibonacci_factor(std::uint32_t n, double enough) noexcept
{
    double previous = 0, current = 1;
    for (std::uint32_t i = 1; i < n && current <= enough; ++i)
        previous = std::exchange(current, previous + current);
    return current;
}

} // namespace

duration backoff_delay(const retry_policy& policy, std::uint32_t failed_attempt, std::optional<duration> requested,
                       double unit_random) noexcept
{
    const duration cap = policy.max;
    if (requested)
        return std::clamp(*requested, duration::zero(), cap);

    const double base = static_cast<double>(duration(policy.base).count());
    const double limit = static_cast<double>(cap.count());
    const std::uint32_t attempt = std::max<std::uint32_t>(failed_attempt, 1);
    const double n = static_cast<double>(attempt);
    double raw = base;
    switch (policy.backoff) {
    case backoff_kind::exponential: raw = base * std::pow(policy.multiplier, n - 1); break;
    case backoff_kind::linear: raw = base * n; break;
    case backoff_kind::constant: break;
    case backoff_kind::none: return duration::zero();
    case backoff_kind::fibonacci: raw = base * fibonacci_factor(attempt, base > 0 ? limit / base : 0.0); break;
    }
    const double capped = std::min(raw, limit);
    const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
    const double factor = 1.0 + jitter * (2.0 * std::clamp(unit_random, 0.0, 1.0) - 1.0);
    const double jittered = std::clamp(capped * factor, 0.0, static_cast<double>(cap.count()));
    return duration(static_cast<duration::rep>(jittered));
}

bool may_retry(const retry_policy& policy, std::uint32_t attempts, error_kind kind) noexcept
{
    if (!is_retryable(kind) || !policy.retryable)
        return false;
    return attempts < policy.max_attempts;
}

} // namespace tasker
