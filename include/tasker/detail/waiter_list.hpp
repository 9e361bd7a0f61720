#pragma once

#include <tasker/asio.hpp>
#include <tasker/model/time.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>

namespace tasker::detail {

/// Coroutines parked until someone wakes them: every waiter on `notify_all()`, or those
/// whose wake time has come on `fire_due(now)`. Thread-safe; waiters resume on their own
/// executor, never inside the notifier's call (which may hold locks).
///
/// A wait supports per-operation cancellation (e.g. the loser of an `||` of awaitable
/// operators): it then ends with `asio::error::operation_aborted`, thrown by `wait()`.
class waiter_list {
public:
    waiter_list() = default;
    waiter_list(const waiter_list&) = delete;
    waiter_list& operator=(const waiter_list&) = delete;

    /// Completes on `notify_all()`, or on `fire_due(t)` with `t >= wake_at`. If `seen` is
    /// given and `notify_all()` or `fire_due()` ran since `version()` returned it, completes
    /// at once: read the version, check your condition, then wait, and no wake-up is lost.
    awaitable<void> wait(time_point wake_at = time_point::max(), std::optional<std::uint64_t> seen = std::nullopt)
    {
        co_await asio::async_initiate<decltype(asio::use_awaitable), void(boost::system::error_code)>(
            [this, wake_at, seen](auto handler) { park(std::move(handler), wake_at, seen); }, asio::use_awaitable);
    }

    /// Counts `notify_all()` and `fire_due()` calls.
    std::uint64_t version() const
    {
        std::lock_guard lock(mutex_);
        return version_;
    }

    void notify_all()
    {
        std::list<entry> woken;
        {
            std::lock_guard lock(mutex_);
            ++version_;
            woken.swap(entries_);
        }
        for (auto& e : woken)
            complete(std::move(e.executor), std::move(e.handler), {});
    }

    void fire_due(time_point now)
    {
        std::list<entry> woken;
        {
            std::lock_guard lock(mutex_);
            ++version_; // a waiter that checked the time before this call must look again
            for (auto it = entries_.begin(); it != entries_.end();) {
                const auto next = std::next(it);
                if (it->wake_at <= now)
                    woken.splice(woken.end(), entries_, it);
                it = next;
            }
        }
        for (auto& e : woken)
            complete(std::move(e.executor), std::move(e.handler), {});
    }

    /// The earliest wake time among timed waiters.
    std::optional<time_point> next_due() const
    {
        std::lock_guard lock(mutex_);
        std::optional<time_point> next;
        for (const auto& e : entries_)
            if (e.wake_at != time_point::max() && (!next || e.wake_at < *next))
                next = e.wake_at;
        return next;
    }

    std::size_t size() const
    {
        std::lock_guard lock(mutex_);
        return entries_.size();
    }

private:
    using handler_type = asio::any_completion_handler<void(boost::system::error_code)>;

    struct entry {
        std::uint64_t id;
        time_point wake_at;
        asio::any_io_executor executor; // the waiter's, captured before type erasure
        handler_type handler;
    };

    template <class Handler>
    void park(Handler&& h, time_point wake_at, std::optional<std::uint64_t> seen)
    {
        // A tracked executor: a parked waiter counts as pending work, so `run()` of its
        // io_context does not return while it waits.
        asio::any_io_executor ex =
            asio::prefer(asio::get_associated_executor(h), asio::execution::outstanding_work.tracked);
        handler_type handler(std::forward<Handler>(h));
        std::unique_lock lock(mutex_);
        if (seen && *seen != version_) {
            lock.unlock();
            complete(std::move(ex), std::move(handler), {});
            return;
        }
        const std::uint64_t id = next_id_++;
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected())
            slot.assign([this, id](asio::cancellation_type) { cancel(id); });
        entries_.emplace_back(id, wake_at, std::move(ex), std::move(handler));
    }

    void cancel(std::uint64_t id)
    {
        std::list<entry> found;
        {
            std::lock_guard lock(mutex_);
            auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.id == id; });
            if (it == entries_.end())
                return; // already woken
            found.splice(found.end(), entries_, it);
        }
        complete(std::move(found.front().executor), std::move(found.front().handler), asio::error::operation_aborted);
    }

    static void complete(asio::any_io_executor ex, handler_type h, boost::system::error_code ec)
    {
        // Resume on the waiter's own executor, never inside the notifier's call.
        asio::post(ex, [h = std::move(h), ec]() mutable { std::move(h)(ec); });
    }

    mutable std::mutex mutex_;
    // A list, because entries never move once parked: Boost 1.81's
    // any_completion_handler move-assignment recurses without end (it copies as a new
    // handler to wrap), so containers that move-assign elements (vector erase) are out.
    std::list<entry> entries_;
    std::uint64_t next_id_ = 0;
    std::uint64_t version_ = 0;
};

} // namespace tasker::detail
