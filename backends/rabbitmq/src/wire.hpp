#pragma once
// Internal to tasker::rabbitmq: what travels over an AMQP connection, as plain values (no
// rabbitmq-c types), so the parts that only keep books on them need no client library.

#include <cstdint>
#include <string>
#include <vector>

namespace tasker::rabbitmq::amqp {

/// A header value of ours: text or a 64-bit integer.
struct header {
    std::string key;
    std::string text;
    std::int64_t number = 0;
    bool is_number = false;
};

/// Arguments of a queue or exchange declaration / binding (x-message-ttl, x-dead-letter-…).
using arguments = std::vector<header>;

/// A message as it arrived: the channel's delivery tag, whether RabbitMQ delivered it before
/// (its consumer's connection died), its body and our headers.
struct incoming {
    std::string consumer_tag;
    std::uint64_t tag = 0;
    bool redelivered = false;
    std::string body;
    std::vector<header> headers;
};

/// What the broker sent that the owner must act on.
struct event {
    enum class kind : std::uint8_t { delivery, confirm, reject_confirm, cancelled, got, got_nothing } what =
        kind::delivery;
    incoming message;        ///< delivery, got (a basic.get reply; no consumer tag)
    std::uint64_t seq = 0;   ///< confirm / reject_confirm: publish sequence number
    bool multiple = false;   ///< confirm / reject_confirm: every sequence number up to `seq`
};

} // namespace tasker::rabbitmq::amqp
