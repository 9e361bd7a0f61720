#pragma once

#include <tasker/asio.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace tasker::detail {

/// What a consumer (orchestrator, worker) does once a read came back short: wait until `q` may
/// have a message (`broker.wait`, at once if one is readable already), `deadline`, or a stop
/// (`stop` notified; nothing at all if `stopping` already holds). The caller reads again.
template <class Broker>
awaitable<void> wait_for_messages(Broker& broker, queue_name q, time_point deadline, waiter_list& stop,
                                  const bool& stopping)
{
    using namespace asio::experimental::awaitable_operators;
    const auto seen = stop.version();
    if (!stopping)
        co_await (broker.wait(q, deadline) || stop.wait(time_point::max(), seen));
}

} // namespace tasker::detail
