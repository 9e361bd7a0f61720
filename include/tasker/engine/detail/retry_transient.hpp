#pragma once

#include <tasker/asio.hpp>
#include <tasker/detail/outage_backoff.hpp>
#include <tasker/error.hpp>
#include <tasker/logger.hpp>
#include <tasker/model/time.hpp>

#include <chrono>
#include <string_view>

namespace tasker::detail {

/// Runs `op()` (an `awaitable<result<T>>` factory) until it succeeds, fails for good, or
/// `stopping()` holds. A transient failure (the database or broker is down) is logged and
/// retried after `sleep(delay)`, the delay growing as `outage_backoff` says: a process started
/// before its backend comes up waits for it instead of exiting, and work in hand outlives
/// a backend restart instead of waiting for its lease to end.
template <class Op, class Sleep, class Stopping>
auto retry_transient(Op op, Sleep sleep, Stopping stopping, const logger& log, std::string_view who,
                     std::string_view what) -> decltype(op())
{
    outage_backoff backoff;
    while (true) {
        auto r = co_await op();
        if (r || !is_transient(r.error()) || stopping())
            co_return r;
        const duration delay = backoff.next();
        log.warn("{} event=retry what={} retry_in_ms={} error=\"{}\"", who, what,
                 std::chrono::duration_cast<milliseconds>(delay).count(), r.error().what());
        co_await sleep(delay);
    }
}

} // namespace tasker::detail
