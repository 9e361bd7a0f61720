#pragma once

#include <tasker/asio.hpp>
#include <tasker/model/time.hpp>

#include <boost/asio/system_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <concepts>
#include <memory>

namespace tasker {

/// A source of time and timers. The engine, the in-memory backend and the testing kit's
/// virtual time all run on one.
///
/// Requirements:
/// 1. `c.now()` returns the current `time_point`; it never goes backwards.
/// 2. `c.wait_until(t)` is an `awaitable<void>` that completes once `now() >= t`, on the
///    awaiting coroutine's executor. It supports per-operation cancellation (terminal and
///    partial), throwing `asio::error::operation_aborted` when cancelled.
template <class C>
concept clock = requires(C& c, time_point t) {
    { c.now() } -> std::same_as<time_point>;
    { c.wait_until(t) } -> std::same_as<awaitable<void>>;
};

/// Wall-clock time and Asio system timers.
class real_clock {
public:
    time_point now() const noexcept { return std::chrono::system_clock::now(); }

    awaitable<void> wait_until(time_point t) const
    {
        asio::system_timer timer(co_await asio::this_coro::executor, t);
        co_await timer.async_wait(asio::use_awaitable);
    }
};

/// A type-erased, shared handle to any `clock`. Copies refer to the same clock. Default
/// constructed it is a `real_clock`.
class any_clock {
public:
    any_clock() : any_clock(real_clock{}) {}

    /// Owns a copy of (or shares) `c`.
    template <clock C>
        requires(!std::same_as<std::remove_cvref_t<C>, any_clock>)
    any_clock(C c) : impl_(std::make_shared<model<C>>(std::move(c)))
    {
    }

    /// Refers to `c`, which must outlive every copy of this handle.
    template <clock C>
    static any_clock ref(C& c)
    {
        any_clock a;
        a.impl_ = std::make_shared<model<C&>>(c);
        return a;
    }

    time_point now() const { return impl_->now(); }
    awaitable<void> wait_until(time_point t) const { return impl_->wait_until(t); }

private:
    struct iface {
        virtual ~iface() = default;
        virtual time_point now() = 0;
        virtual awaitable<void> wait_until(time_point t) = 0;
    };

    template <class C>
    struct model final : iface {
        explicit model(C c) : clock(std::forward<C>(c)) {}
        time_point now() override { return clock.now(); }
        awaitable<void> wait_until(time_point t) override { return clock.wait_until(t); }
        C clock;
    };

    std::shared_ptr<iface> impl_;
};

static_assert(clock<real_clock>);
static_assert(clock<any_clock>);

} // namespace tasker
