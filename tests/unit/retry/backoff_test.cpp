#include <tasker/retry/backoff.hpp>

#include "support/catch.hpp"

using namespace tasker;
using namespace std::chrono_literals;

namespace {

retry_policy no_jitter(retry_policy p = {})
{
    p.jitter = 0;
    return p;
}

} // namespace

TEST_CASE("backoff: exponential base * multiplier^(attempt-1), capped", "[unit][retry]")
{
    auto p = no_jitter({.base = 100ms, .multiplier = 2.0, .max = 1000ms});
    CHECK(backoff_delay(p, 1, std::nullopt, 0.5) == 100ms);
    CHECK(backoff_delay(p, 2, std::nullopt, 0.5) == 200ms);
    CHECK(backoff_delay(p, 3, std::nullopt, 0.5) == 400ms);
    CHECK(backoff_delay(p, 4, std::nullopt, 0.5) == 800ms);
    CHECK(backoff_delay(p, 5, std::nullopt, 0.5) == 1000ms); // 1600 capped
    CHECK(backoff_delay(p, 60, std::nullopt, 0.5) == 1000ms); // no overflow at large attempts
}

TEST_CASE("backoff: linear and constant", "[unit][retry]")
{
    auto linear = no_jitter({.backoff = backoff_kind::linear, .base = 100ms, .max = 10s});
    CHECK(backoff_delay(linear, 3, std::nullopt, 0.5) == 300ms);
    auto constant = no_jitter({.backoff = backoff_kind::constant, .base = 250ms, .max = 10s});
    CHECK(backoff_delay(constant, 1, std::nullopt, 0.5) == 250ms);
    CHECK(backoff_delay(constant, 7, std::nullopt, 0.5) == 250ms);
}

TEST_CASE("backoff: jitter stays within +/- the fraction and within the cap", "[unit][retry]")
{
    retry_policy p{.base = 1000ms, .multiplier = 2.0, .max = 60s, .jitter = 0.1};
    CHECK(backoff_delay(p, 1, std::nullopt, 0.0) == 900ms);
    CHECK(backoff_delay(p, 1, std::nullopt, 0.5) == 1000ms);
    CHECK(backoff_delay(p, 1, std::nullopt, 0.999999) >= 1099ms);
    CHECK(backoff_delay(p, 1, std::nullopt, 0.999999) <= 1100ms);
    for (int i = 0; i <= 100; ++i) {
        const auto d = backoff_delay(p, 2, std::nullopt, i / 100.0);
        CHECK(d >= 1800ms);
        CHECK(d <= 2200ms);
    }
    // At the cap, jitter may lower the delay but never lift it above the cap.
    retry_policy capped{.base = 1000ms, .multiplier = 10.0, .max = 5s, .jitter = 0.5};
    CHECK(backoff_delay(capped, 3, std::nullopt, 0.999) == 5s);
    CHECK(backoff_delay(capped, 3, std::nullopt, 0.0) == 2500ms);
}

TEST_CASE("backoff: a handler's Retry-After is used as is, capped at max, without jitter", "[unit][retry]")
{
    retry_policy p{.base = 100ms, .max = 30s, .jitter = 0.5};
    CHECK(backoff_delay(p, 1, 7s, 0.0) == 7s);
    CHECK(backoff_delay(p, 1, 7s, 0.99) == 7s);
    CHECK(backoff_delay(p, 1, 45s, 0.5) == 30s); // above the cap
    CHECK(backoff_delay(p, 1, -5s, 0.5) == 0s);  // nonsense is clamped
}

TEST_CASE("may_retry: max_attempts counts every attempt, the first included", "[unit][retry]")
{
    retry_policy three{.max_attempts = 3};
    CHECK(may_retry(three, 1, error_kind::retryable));
    CHECK(may_retry(three, 2, error_kind::retryable));
    CHECK_FALSE(may_retry(three, 3, error_kind::retryable));
}

TEST_CASE("may_retry: max_attempts 0 and 1 allow the first attempt only", "[unit][retry]")
{
    for (std::uint32_t max : {0u, 1u}) {
        retry_policy p{.max_attempts = max};
        CHECK_FALSE(may_retry(p, 1, error_kind::retryable));
        CHECK_FALSE(may_retry(p, 1, error_kind::timeout));
    }
}

TEST_CASE("may_retry: retryable false and permanent errors never retry", "[unit][retry]")
{
    CHECK_FALSE(may_retry({.retryable = false, .max_attempts = 5}, 1, error_kind::retryable));
    CHECK_FALSE(may_retry({.max_attempts = 5}, 1, error_kind::permanent));
    CHECK(may_retry({.max_attempts = 5}, 1, error_kind::timeout)); // timeouts are retryable
}

TEST_CASE("retry settings: step over task over defaults, field by field", "[unit][retry]")
{
    retry_policy defaults{.retryable = true, .max_attempts = 3, .base = 1000ms, .max = 60s};
    retry_settings task{.max_attempts = 5, .base = 200ms};
    retry_settings step{.base = 50ms, .jitter = 0.0};
    const auto p = step.over(task).over(defaults);
    CHECK(p.max_attempts == 5); // from the task
    CHECK(p.base == 50ms);      // the step wins over the task
    CHECK(p.jitter == 0.0);     // from the step
    CHECK(p.max == 60s);        // from the defaults
    CHECK(p.retryable);
}

TEST_CASE("names of backoff and error kinds", "[unit][retry]")
{
    CHECK(backoff_kind_from_string("fixed") == backoff_kind::constant);
    CHECK(backoff_kind_from_string("exponential") == backoff_kind::exponential);
    CHECK_FALSE(backoff_kind_from_string("quadratic"));
    CHECK(error_kind_from_string("timeout") == error_kind::timeout);
}
