#pragma once
// Internal to tasker::rabbitmq: the coroutines in `broker::wait`, per tasker queue, woken by
// the loop thread when deliveries arrive for their queue (or the connection changes).

#include <tasker/detail/waiter_list.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace tasker::rabbitmq {

/// A `waiter_list` per tasker queue, made on first use and kept (a waiter holds a reference).
/// Thread-safe.
class queue_waiters {
public:
    detail::waiter_list& of(const std::string& q)
    {
        std::lock_guard lock(mutex_);
        auto& w = lists_[q];
        if (!w)
            w = std::make_unique<detail::waiter_list>();
        return *w;
    }

    void notify(const std::string& q)
    {
        std::lock_guard lock(mutex_);
        if (auto it = lists_.find(q); it != lists_.end())
            it->second->notify_all();
    }

    void notify_everyone()
    {
        std::lock_guard lock(mutex_);
        for (auto& [q, w] : lists_)
            w->notify_all();
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<detail::waiter_list>> lists_;
};

} // namespace tasker::rabbitmq
