#pragma once

#include <tasker/asio.hpp>

#include <boost/asio/signal_set.hpp>

#include <functional>
#include <memory>

namespace tasker {

/// Graceful shutdown on SIGINT and SIGTERM: the first signal calls `on_signal(number)` on
/// `ex` (typically: stop the worker with a grace period, stop the orchestrator); later
/// signals are passed to `on_repeat`, which by default does nothing — the grace period
/// still applies. Keep the object alive as long as the signals should be handled.
///
/// @par Example
/// @code
/// tasker::shutdown_signals signals(io.get_executor(), [&](int) {
///     worker.stop(std::chrono::seconds(30));
///     orchestrator.stop();
/// });
/// @endcode
class shutdown_signals {
public:
    shutdown_signals(asio::any_io_executor ex, std::function<void(int)> on_signal,
                     std::function<void(int)> on_repeat = {})
        : state_(std::make_shared<state>(std::move(ex), std::move(on_signal), std::move(on_repeat)))
    {
        arm(state_);
    }

    ~shutdown_signals()
    {
        boost::system::error_code ignored;
        state_->set.cancel(ignored);
    }

    shutdown_signals(const shutdown_signals&) = delete;
    shutdown_signals& operator=(const shutdown_signals&) = delete;

private:
    struct state {
        state(asio::any_io_executor ex, std::function<void(int)> first, std::function<void(int)> repeat)
            : set(ex, SIGINT, SIGTERM), on_signal(std::move(first)), on_repeat(std::move(repeat))
        {
        }
        asio::signal_set set;
        std::function<void(int)> on_signal;
        std::function<void(int)> on_repeat;
        bool fired = false;
    };

    static void arm(const std::shared_ptr<state>& s)
    {
        s->set.async_wait([s](const boost::system::error_code& ec, int signo) {
            if (ec)
                return; // cancelled: the object is gone
            if (!s->fired) {
                s->fired = true;
                if (s->on_signal)
                    s->on_signal(signo);
            } else if (s->on_repeat) {
                s->on_repeat(signo);
            }
            arm(s);
        });
    }

    std::shared_ptr<state> state_;
};

} // namespace tasker
