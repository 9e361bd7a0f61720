#pragma once

#include <tasker/model/time.hpp>
#include <tasker/retry/error_kind.hpp>
#include <tasker/retry/retry_policy.hpp>

#include <cstdint>
#include <optional>

namespace tasker {

/// The delay before attempt `failed_attempt + 1`, per DESIGN "Retry semantics": a
/// handler-requested delay (Retry-After) if given, capped at `policy.max` and used as is;
/// otherwise the policy's backoff for `failed_attempt`, capped at `policy.max`, with
/// +/- `policy.jitter` applied and the result kept within [0, policy.max]. `backoff_kind::none`
/// computes no delay at all (zero, nothing to jitter); a requested delay still applies.
///
/// `unit_random` is a number in [0, 1) supplied by the caller, so this stays pure and a
/// seeded test or simulation replays the same delays.
duration backoff_delay(const retry_policy& policy, std::uint32_t failed_attempt,
                       std::optional<duration> requested, double unit_random) noexcept;

/// Whether a step whose attempt number `attempts` just failed with `kind` may run again.
/// A permanent error never retries; `retryable: false` allows no retry; otherwise retry
/// while `attempts < max_attempts`.
bool may_retry(const retry_policy& policy, std::uint32_t attempts, error_kind kind) noexcept;

} // namespace tasker
