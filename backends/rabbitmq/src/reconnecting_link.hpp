#pragma once
// Internal to tasker::rabbitmq: the broker's one AMQP connection, opened on demand, replaced
// after it breaks with a backoff between attempts, and kept alive with heartbeats.

#include "connection.hpp"

#include <tasker/error.hpp>
#include <tasker/model/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace tasker::rabbitmq {

/// How the link connects and reconnects (from `broker_config`).
struct link_settings {
    std::uint16_t prefetch = 64;
    duration heartbeat{};
    duration timeout{};
    duration reconnect_min{};
    duration reconnect_max{};
};

/// The connection, if there is one, and when the next may be opened. After a failure the
/// next attempt waits for the backoff, which starts at `reconnect_min` and doubles with each
/// failure up to `reconnect_max`; a connection that was set up completely starts it again.
/// Used from the broker's loop thread only.
class reconnecting_link {
public:
    using steady_time = std::chrono::steady_clock::time_point;

    reconnecting_link(result<amqp::endpoint> where, link_settings settings);

    /// The live connection, or null.
    amqp::connection* get() noexcept { return connection_ ? &*connection_ : nullptr; }

    /// Whether a connection may be opened now: the URL's error if it is not one, the last
    /// failure while its backoff runs.
    result<void> may_open(steady_time now) const;
    /// Opens a connection (see `amqp::connection::open`). A failure is to be reported to `lost`.
    result<amqp::connection*> open(steady_time now);
    /// The connection (or the attempt) failed with `e`: it is dropped (RabbitMQ requeues what
    /// it had not acked), and the next attempt waits for the backoff, which then doubles.
    void lost(const error& e, steady_time now);
    /// The new connection is set up: the next failure waits the shortest backoff again.
    void established() noexcept;
    /// Closes the connection cleanly: RabbitMQ requeues what it had not acked.
    void close() noexcept { connection_.reset(); }

    /// When an attempt may start, while there is no connection.
    steady_time next_attempt() const noexcept { return next_attempt_; }

    /// Sends a heartbeat if half the heartbeat interval passed since the last; the error if
    /// that failed (the connection is then dead).
    result<void> keep_alive(steady_time now);
    /// When the next heartbeat is due, if heartbeats are on and there is a connection.
    std::optional<steady_time> next_heartbeat() const noexcept;

private:
    result<amqp::endpoint> where_;
    link_settings settings_;
    std::optional<amqp::connection> connection_;
    std::optional<error> last_failure_;
    steady_time next_attempt_{};
    duration backoff_;
    steady_time last_heartbeat_{};
};

} // namespace tasker::rabbitmq
