#pragma once
// Internal to tasker::rabbitmq: declaring tasker's queues and exchanges (`topology`) on a
// connection, each once per connection (a delay queue again every half hour).

#include "connection.hpp"

#include <tasker/error.hpp>
#include <tasker/rabbitmq/topology.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace tasker::rabbitmq {

/// What the current connection has declared, and declaring the rest on demand. Every
/// declaration is idempotent on the server; remembering them saves the round trips.
/// A failed declaration leaves the connection dead (see `amqp::connection`).
class declared_topology {
public:
    explicit declared_topology(topology names) : names_(std::move(names)) {}

    const topology& names() const noexcept { return names_; }

    /// The dead-letter exchange and queue, and the delay exchange: once per connection, first.
    result<void> declare_common(amqp::connection& c);
    /// The work queue of tasker queue `q`, dead-lettering into the dead-letter exchange.
    result<void> work_queue(amqp::connection& c, const std::string& q);
    /// The delay queue of `bucket`, declared again after half an hour: it deletes itself
    /// after an hour unused, and publishing into it does not count as use.
    result<void> delay_queue(amqp::connection& c, std::chrono::milliseconds bucket, std::chrono::steady_clock::time_point now);

    /// A new connection declares everything again.
    void forget();
    /// `q`'s work queue was deleted on the server: declared again on next use.
    void forget(const std::string& q) { work_queues_.erase(q); }

private:
    topology names_;
    std::set<std::string> work_queues_;                  // tasker queue names
    std::map<std::int64_t, std::chrono::steady_clock::time_point> delay_queues_; // bucket (ms) -> declared at
};

} // namespace tasker::rabbitmq
