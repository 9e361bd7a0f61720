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

TEST_CASE("backoff: none retries at once, jitter or not; a requested delay still applies", "[unit][retry]")
{
    retry_policy p{.backoff = backoff_kind::none, .base = 1000ms, .max = 60s, .jitter = 0.5};
    for (std::uint32_t attempt : {1u, 2u, 10u, 1000u})
        for (double r : {0.0, 0.5, 0.999})
            CHECK(backoff_delay(p, attempt, std::nullopt, r) == 0ms);
    CHECK(backoff_delay(p, 1, duration(5s), 0.5) == 5s);
    CHECK(backoff_delay(p, 1, duration(90s), 0.5) == 60s); // capped like any requested delay
}

TEST_CASE("backoff: fibonacci is base * 1, 1, 2, 3, 5, 8, ..., capped", "[unit][retry]")
{
    auto p = no_jitter({.backoff = backoff_kind::fibonacci, .base = 100ms, .max = 1s});
    CHECK(backoff_delay(p, 1, std::nullopt, 0.5) == 100ms);
    CHECK(backoff_delay(p, 2, std::nullopt, 0.5) == 100ms);
    CHECK(backoff_delay(p, 3, std::nullopt, 0.5) == 200ms);
    CHECK(backoff_delay(p, 4, std::nullopt, 0.5) == 300ms);
    CHECK(backoff_delay(p, 5, std::nullopt, 0.5) == 500ms);
    CHECK(backoff_delay(p, 6, std::nullopt, 0.5) == 800ms);
    CHECK(backoff_delay(p, 7, std::nullopt, 0.5) == 1s);         // 1300 ms capped
    CHECK(backoff_delay(p, 1'000'000, std::nullopt, 0.5) == 1s); // no overflow, no long loop
    CHECK(backoff_delay(p, 0, std::nullopt, 0.5) == 100ms);      // attempt 0 counts as the first

    // A zero base stays zero whatever the attempt.
    auto zero = no_jitter({.backoff = backoff_kind::fibonacci, .base = 0ms, .max = 1s});
    CHECK(backoff_delay(zero, 40, std::nullopt, 0.5) == 0ms);
}

TEST_CASE("backoff: fibonacci delays are jittered within +/- the fraction and the cap", "[unit][retry]")
{
    retry_policy p{.backoff = backoff_kind::fibonacci, .base = 1000ms, .max = 6s, .jitter = 0.2};
    // Attempt 5: 5 s, moved by up to 20 %, never above the 6 s cap.
    CHECK(backoff_delay(p, 5, std::nullopt, 0.0) == 4s);
    CHECK(backoff_delay(p, 5, std::nullopt, 0.5) == 5s);
    CHECK(backoff_delay(p, 5, std::nullopt, 0.999999) <= 6s);
    CHECK(backoff_delay(p, 5, std::nullopt, 0.999999) > 5900ms);
    // Attempt 6: 8 s capped to 6 s, then jittered downwards only (the cap holds).
    CHECK(backoff_delay(p, 6, std::nullopt, 0.0) == 4800ms);
    CHECK(backoff_delay(p, 6, std::nullopt, 0.999999) == 6s);
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
    CHECK(backoff_kind_from_string("none") == backoff_kind::none);
    CHECK(backoff_kind_from_string("fibonacci") == backoff_kind::fibonacci);
    for (auto k : {backoff_kind::exponential, backoff_kind::linear, backoff_kind::constant, backoff_kind::none,
                   backoff_kind::fibonacci})
        CHECK(backoff_kind_from_string(to_string(k)) == k);
    CHECK_FALSE(backoff_kind_from_string("quadratic"));
    CHECK(error_kind_from_string("timeout") == error_kind::timeout);
}
