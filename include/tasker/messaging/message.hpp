#pragma once

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/uuid.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace tasker {

/// What a message asks its consumer to do.
enum class message_kind : std::uint8_t {
    step_ready,  ///< to a worker queue: run this step (its state says whether it still should)
    step_result, ///< to the orchestrator: a step attempt's result is durable, decide what follows
    retry_due,   ///< to the orchestrator, delayed: a step's retry backoff ran out
};

std::string_view to_string(message_kind k) noexcept;
std::optional<message_kind> message_kind_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, message_kind k);

/// A message between orchestrators and workers. It names state; it never carries it: the
/// store is the truth, and every consumer re-checks state, so duplicates are harmless.
struct message {
    message_kind kind = message_kind::step_ready;
    std::uint32_t step = 0;    ///< index of the step in its task's template
    std::uint32_t attempt = 0; ///< step_ready/retry_due: the attempt to start; step_result: the attempt that ended
    task_id task;

    friend bool operator==(const message&, const message&) = default;
};

std::ostream& operator<<(std::ostream& os, const message& m);

/// `{"kind":"step_ready","task":"…","step":2,"attempt":1}`: the wire form of brokers
/// that carry JSON (PGMQ) or bytes (RabbitMQ).
json::object to_json(const message& m);
result<message> message_from_json(const json::value& v);

} // namespace tasker
