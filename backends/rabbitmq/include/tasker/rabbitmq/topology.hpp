#pragma once

#include <tasker/error.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tasker::rabbitmq {

/// The names tasker gives its RabbitMQ objects, all under one prefix (default "tasker."), so
/// several deployments or test runs can share a virtual host. docs/rabbitmq.md draws them.
///
/// - `<prefix><queue>`: a durable queue per tasker queue (worker_<namespace>,
///   orchestration_step_results), filled through the default exchange; messages it rejects
///   go to the dead-letter exchange.
/// - `<prefix>dead-letter` (fanout exchange) → `<prefix>dead-letter` (queue): messages no
///   consumer could read (not a tasker message).
/// - `<prefix>delay` (headers exchange) → `<prefix>delay.<ms>` (a queue per delay bucket, its
///   messages expiring after `ms` into the default exchange, which routes them by their
///   original routing key to the work queue).
class topology {
public:
    /// Prefixes are `[a-z0-9_.-]{0,64}`: they end up in queue and exchange names.
    static result<topology> make(std::string_view prefix);

    const std::string& prefix() const noexcept { return prefix_; }

    /// The queue of tasker queue `q` (a `queue_name`'s text), also its consumer tag.
    std::string work_queue(std::string_view q) const { return prefix_ + std::string(q); }
    std::string dead_letter_exchange() const { return prefix_ + "dead-letter"; }
    std::string dead_letter_queue() const { return prefix_ + "dead-letter"; }
    std::string delay_exchange() const { return prefix_ + "delay"; }
    std::string delay_queue(std::chrono::milliseconds bucket) const
    {
        return prefix_ + "delay." + std::to_string(bucket.count());
    }

private:
    explicit topology(std::string prefix) : prefix_(std::move(prefix)) {}
    std::string prefix_;
};

/// The delay queue a delay goes to: the delay rounded up to two significant digits of
/// milliseconds (1 234 ms → 1 300 ms), at least 1 ms. A message is never delivered early,
/// at most 10% late, and a deployment needs at most ~90 delay queues per decade of delays.
/// (Each delay queue holds one TTL so its messages expire in the order they arrived:
/// RabbitMQ only expires messages at the head of a queue.)
std::chrono::milliseconds delay_bucket(duration delay) noexcept;

} // namespace tasker::rabbitmq
