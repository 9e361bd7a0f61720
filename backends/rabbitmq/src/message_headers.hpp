#pragma once
// Internal to tasker::rabbitmq: the headers tasker puts on its AMQP messages, written when
// publishing and read back from a delivery. Pure: times are passed in.

#include "wire.hpp"

#include <tasker/model/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace tasker::rabbitmq {

inline constexpr const char* read_count_header = "x-tasker-read-count";    ///< deliveries before this publish
inline constexpr const char* visible_at_header = "x-tasker-visible-at-us"; ///< when it became (becomes) visible
inline constexpr const char* delay_header = "x-tasker-delay-ms";           ///< routes it to its delay queue

/// The headers of a publish that becomes visible at `visible_at`, through the delay queue of
/// `bucket` if given. The first is the read count, 0 here: set it per message.
std::vector<amqp::header> publish_headers(time_point visible_at, std::optional<std::chrono::milliseconds> bucket);

/// What a delivery's headers say about it.
struct delivery_facts {
    /// Deliveries so far, this one included: the count published with it plus one, plus one
    /// more for a redelivery by RabbitMQ (its consumer's connection died), however many there were.
    std::uint32_t read_count = 1;
    /// When it was sent, or became visible if it was delayed; `now` for a message without
    /// the header (not published by tasker).
    time_point enqueued_at;
};

delivery_facts read_headers(const std::vector<amqp::header>& headers, bool redelivered, time_point now);

} // namespace tasker::rabbitmq
