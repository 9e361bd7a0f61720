#pragma once

#include <tasker/asio.hpp>
#include <tasker/clock.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/model/time.hpp>

#include <atomic>
#include <memory>
#include <optional>

namespace tasker::testing {

/// Virtual time for tests: `now()` only moves when the test says so, and every timer of
/// the engine, the in-memory broker (delays, leases) and the store waits on it. A step with
/// ten retries one hour apart finishes in milliseconds of real time.
///
/// Copies share the same time. Satisfies `tasker::clock`; wrap it in `any_clock` to hand
/// it to runtimes, stores and brokers.
class manual_clock {
public:
    /// Starts at `start` (default: 2030-01-01T00:00:00Z, far from any real "now").
    explicit manual_clock(time_point start = default_start()) : state_(std::make_shared<state>(start)) {}

    time_point now() const noexcept { return time_point{duration{state_->now.load()}}; }

    /// Completes once the clock has been moved to or past `t` (at once if it already is).
    awaitable<void> wait_until(time_point t) const
    {
        while (true) {
            const auto seen = state_->timers.version(); // before reading the time: no lost wake-up
            if (now() >= t)
                co_return;
            co_await state_->timers.wait(t, seen);
        }
    }

    /// Moves time forward by `d` and wakes every timer that came due.
    void advance(duration d) { set(now() + d); }

    /// Moves time to `t` (never backwards) and wakes every timer that came due.
    void set(time_point t)
    {
        auto cur = state_->now.load();
        while (t.time_since_epoch().count() > cur &&
               !state_->now.compare_exchange_weak(cur, t.time_since_epoch().count())) {
        }
        state_->timers.fire_due(now());
    }

    /// The earliest time a pending `wait_until` waits for.
    std::optional<time_point> next_timer() const { return state_->timers.next_due(); }

    /// Number of coroutines waiting on this clock.
    std::size_t waiting() const { return state_->timers.size(); }

    static time_point default_start() { return time_point{std::chrono::seconds(1'893'456'000)}; }

private:
    struct state {
        explicit state(time_point t) : now(t.time_since_epoch().count()) {}
        std::atomic<duration::rep> now;
        detail::waiter_list timers;
    };
    std::shared_ptr<state> state_;
};

static_assert(clock<manual_clock>);

} // namespace tasker::testing
