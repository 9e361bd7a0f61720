#include "finish_watch.hpp"

#include <tasker/clock.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace tasker::postgres::detail {

std::uint64_t finish_watch::epoch() const
{
    std::lock_guard lock(mutex_);
    return epoch_;
}

void finish_watch::finished(std::span<const task_id> tasks)
{
    std::lock_guard lock(mutex_);
    ++epoch_;
    for (const auto& id : tasks) {
        heard_.emplace_back(epoch_, id);
        if (auto it = waiting_.find(id); it != waiting_.end())
            it->second->list.notify_all(); // resumes on the waiter's executor, not here
    }
    while (heard_.size() > remembered) {
        forgotten_ = heard_.front().first;
        heard_.pop_front();
    }
}

void finish_watch::look_again()
{
    std::lock_guard lock(mutex_);
    last_look_again_ = ++epoch_;
    for (auto& [id, w] : waiting_)
        w->list.notify_all();
}

bool finish_watch::heard_since(const task_id& id, std::uint64_t seen) const
{
    if (last_look_again_ > seen || forgotten_ > seen)
        return true;
    // Newest last: stop at the first entry not after `seen`.
    for (auto it = heard_.rbegin(); it != heard_.rend() && it->first > seen; ++it)
        if (it->second == id)
            return true;
    return false;
}

awaitable<void> finish_watch::wait(task_id id, std::uint64_t seen, time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    waiting* w = nullptr;
    std::uint64_t version = 0;
    {
        std::lock_guard lock(mutex_);
        if (heard_since(id, seen))
            co_return;
        auto& slot = waiting_[id];
        if (!slot)
            slot = std::make_unique<waiting>();
        w = slot.get();
        ++w->users;
        version = w->list.version(); // registered under the lock: no event is lost after this
    }
    // Leaves the waiting list however the wait ends (woken, timed out, cancelled).
    struct leave {
        finish_watch& watch;
        const task_id& id;
        waiting& w;
        ~leave()
        {
            std::lock_guard lock(watch.mutex_);
            if (--w.users == 0)
                watch.waiting_.erase(id);
        }
    } left{*this, id, *w};
    const real_clock clock;
    if (deadline == time_point::max())
        co_await w->list.wait(time_point::max(), version);
    else
        co_await (w->list.wait(time_point::max(), version) || clock.wait_until(deadline));
}

} // namespace tasker::postgres::detail
