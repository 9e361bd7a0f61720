#pragma once
// Internal to tasker::rabbitmq: how tasker messages become AMQP message bodies and back.
// A body is one tasker message (a JSON object) or a pack of several (a JSON array of them):
// RabbitMQ's work — store, confirm, deliver, ack — is per AMQP message, so a pack costs it
// about what one message does. Pure: no connection, no clock.

#include <tasker/error.hpp>
#include <tasker/messaging/message.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tasker::rabbitmq {

/// A body on its way out, and how often its message(s) were delivered before.
struct outgoing {
    std::string body;
    std::uint32_t read_count = 0;

    friend bool operator==(const outgoing&, const outgoing&) = default;
};

/// A tasker message taken out of a body, with its own JSON text (what is published again if
/// it is given back on its own).
using unpacked = std::pair<message, std::string>;

/// Runs of consecutive bodies with the same read count, up to `limit` (at least 1) at a time,
/// each as one body: a JSON array of them. A run of one stays as it is. Order is kept.
std::vector<outgoing> pack(std::vector<outgoing> ms, std::size_t limit);

/// The tasker messages a body carries: one (a JSON object, which keeps `body` as its text) or
/// a pack (a non-empty array of them, each with its own text). Anything else — not JSON, an
/// empty array, an element that is not a tasker message — is an error: no reader could take it.
result<std::vector<unpacked>> unpack(std::string body);

} // namespace tasker::rabbitmq
