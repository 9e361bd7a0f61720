#pragma once
// What the broker and store conformance suites share: the fixture's tick, running one
// operation to completion, and checking what failed.

#include <tasker/asio.hpp>
#include <tasker/detail/run_blocking.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/model/time.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tasker::testing::conformance {

/// The fixture's unit of delays and leases: `F::tick` if it has one, else one second.
template <class F>
constexpr duration conformance_tick() noexcept
{
    if constexpr (requires { F::tick; })
        return std::chrono::duration_cast<duration>(F::tick);
    else
        return std::chrono::seconds(1);
}

/// Real time an operation that must end promptly gets before the case fails instead of
/// hanging: generous, since it only bounds a failure (a conforming in-memory broker ends
/// at once).
template <class F>
std::chrono::steady_clock::duration conformance_budget() noexcept
{
    using steady = std::chrono::steady_clock;
    return std::max<steady::duration>(std::chrono::seconds(10),
                                      std::chrono::duration_cast<steady::duration>(2 * conformance_tick<F>()));
}

/// The value of a result the case cannot go on without; otherwise the case fails with the
/// operation's name and the error.
template <class T>
T expect_value(result<T> r, std::string_view what)
{
    if (!r)
        FAIL(what << " failed: " << r.error().what());
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

/// Runs one operation to completion on the calling thread.
template <class T>
T run_op(awaitable<result<T>> op, std::string_view what)
{
    return expect_value(::tasker::detail::run_blocking(std::move(op)), what);
}

/// True if `r` failed with one of `codes`; says what it got otherwise.
template <class T>
bool failed_with(const result<T>& r, std::initializer_list<errc> codes)
{
    if (r) {
        UNSCOPED_INFO("the operation succeeded");
        return false;
    }
    UNSCOPED_INFO("the operation failed with: " << r.error().what());
    return std::any_of(codes.begin(), codes.end(), [&](errc c) { return r.error() == c; });
}

/// One operation run on its own io_context a step at a time, so a case can see whether it
/// has completed without blocking on it (`wait`, a `read` that must not block). Completion
/// may come from another thread (a backend's pool): `finishes_within` runs the context
/// until then.
template <class T>
class pending_operation {
public:
    explicit pending_operation(awaitable<T> op)
        : io_(std::make_unique<asio::io_context>()), state_(std::make_shared<state>())
    {
        asio::co_spawn(*io_, std::move(op), [s = state_](std::exception_ptr e, T value) {
            s->exception = e;
            s->value.emplace(std::move(value));
        });
        io_->poll();
    }

    pending_operation(const pending_operation&) = delete;
    pending_operation& operator=(const pending_operation&) = delete;

    ~pending_operation()
    {
        // An operation that never ended (the case has failed) still holds work on the
        // context from inside the broker: leaking the context beats a use-after-free when
        // the broker lets go of it later.
        if (!state_->value)
            (void)io_.release();
    }

    /// Runs the context until the operation ends or `budget` of real time has passed.
    bool finishes_within(std::chrono::steady_clock::duration budget)
    {
        const auto until = std::chrono::steady_clock::now() + budget;
        while (!state_->value && std::chrono::steady_clock::now() < until) {
            io_->restart();
            if (io_->run_one_until(until) == 0 && io_->stopped())
                std::this_thread::yield(); // no work left here: a backend thread may still post
        }
        return state_->value.has_value();
    }

    /// The operation's value; rethrows what it threw. Only after it ended.
    T take()
    {
        if (state_->exception)
            std::rethrow_exception(state_->exception);
        return std::move(*state_->value);
    }

private:
    struct state {
        std::optional<T> value;
        std::exception_ptr exception;
    };
    std::unique_ptr<asio::io_context> io_;
    std::shared_ptr<state> state_;
};

inline std::vector<std::uint32_t> steps_of(const std::vector<delivery>& ds)
{
    std::vector<std::uint32_t> out;
    out.reserve(ds.size());
    for (const auto& d : ds)
        out.push_back(d.msg.step);
    return out;
}

} // namespace tasker::testing::conformance
