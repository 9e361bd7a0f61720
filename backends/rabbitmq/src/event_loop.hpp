#pragma once
// Internal to tasker::rabbitmq: the broker's own thread. rabbitmq-c is a blocking client and
// its connection must stay on one thread, so every operation runs there as a command; between
// commands the thread reads what the connection brings and keeps time for leases, heartbeats
// and reconnection, sleeping in poll() on the socket and a wake-up eventfd.

#include <tasker/asio.hpp>
#include <tasker/detail/call_on_backend_thread.hpp>
#include <tasker/error.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace tasker::rabbitmq {

/// Runs commands submitted from any thread, one at a time, on a thread of its own, and its
/// owner's `turn` after each round of them. Stops (and joins) when destroyed: commands still
/// queued then are answered `errc::shutting_down`, and `last` runs once on the loop thread.
class event_loop {
public:
    using steady_time = std::chrono::steady_clock::time_point;

    /// When the loop must run again if no command comes: at `at` at the latest (never, if
    /// empty), or as soon as `socket` (if not -1) has something to read.
    struct wake_up {
        std::optional<steady_time> at;
        int socket = -1;
    };

    /// Starts the thread. `turn` and `last` run on it and must stay valid until the loop is
    /// destroyed (an owner declares the loop as its last member).
    event_loop(std::function<wake_up()> turn, std::function<void()> last);
    ~event_loop();
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    /// Runs `job(reply)` on the loop thread, `reply` a `detail::backend_reply<T>`: the awaiting
    /// coroutine resumes on its own executor with what `reply` is given, once, now or later
    /// (a publish answers on its confirms). Once the loop is stopping the job does not run
    /// and the answer is `errc::shutting_down`. Not cancellable.
    template <class T, class Job>
    awaitable<result<T>> call(Job job)
    {
        auto to_loop = [this](auto posted) { submit(std::move(posted)); };
        auto unless_stopping = [this, job = std::move(job)](const detail::backend_reply<T>& reply) mutable {
            if (stopping_)
                return reply(error{errc::shutting_down, "rabbitmq broker is stopping"});
            job(reply);
        };
        return detail::call_on_backend_thread<T>(to_loop, std::move(unless_stopping));
    }

private:
    void submit(std::function<void()> command);
    void run();
    void run_commands();
    void sleep(const wake_up& until);
    void wake() const noexcept;

    std::function<wake_up()> turn_;
    std::function<void()> last_;
    std::mutex mutex_;
    std::deque<std::function<void()>> commands_;
    std::atomic<bool> stopping_{false};
    int wake_fd_ = -1;
    std::thread thread_;
};

} // namespace tasker::rabbitmq
