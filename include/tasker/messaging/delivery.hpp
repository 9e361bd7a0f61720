#pragma once

#include <tasker/messaging/message.hpp>
#include <tasker/model/time.hpp>

#include <cstdint>

namespace tasker {

/// Identifies one received message within its queue until it is acked (a PGMQ msg_id, an
/// AMQP delivery tag, a slot of the in-memory broker).
using delivery_id = std::uint64_t;

/// A message as received: it stays leased to the reader until acked, nacked or the lease
/// runs out, after which it is delivered again with `read_count` one higher.
struct delivery {
    delivery_id id = 0;
    message msg;
    std::uint32_t read_count = 1; ///< 1 on first delivery
    time_point enqueued_at;       ///< when it was sent (or became visible, for delayed sends)
};


} // namespace tasker
