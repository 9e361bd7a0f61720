#include "declared_topology.hpp"

#include "message_headers.hpp"

#include <string>

namespace tasker::rabbitmq {

result<void> declared_topology::declare_common(amqp::connection& c)
{
    if (auto ok = c.declare_exchange(names_.dead_letter_exchange(), "fanout"); !ok)
        return ok;
    if (auto ok = c.declare_queue(names_.dead_letter_queue(), {}); !ok)
        return ok;
    if (auto ok = c.bind_queue(names_.dead_letter_queue(), names_.dead_letter_exchange(), "", {}); !ok)
        return ok;
    return c.declare_exchange(names_.delay_exchange(), "headers");
}

result<void> declared_topology::work_queue(amqp::connection& c, const std::string& q)
{
    if (work_queues_.contains(q))
        return {};
    amqp::arguments args{{.key = "x-dead-letter-exchange", .text = names_.dead_letter_exchange()}};
    if (auto ok = c.declare_queue(names_.work_queue(q), args); !ok)
        return ok;
    work_queues_.insert(q);
    return {};
}

result<void> declared_topology::delay_queue(amqp::connection& c, std::chrono::milliseconds bucket,
                                             std::chrono::steady_clock::time_point now)
{
    constexpr auto refresh = std::chrono::minutes(30);
    const auto ms = bucket.count();
    if (auto it = delay_queues_.find(ms); it != delay_queues_.end() && now - it->second < refresh)
        return {};
    amqp::arguments args{{.key = "x-message-ttl", .number = ms, .is_number = true},
                         {.key = "x-dead-letter-exchange", .text = ""},
                         {.key = "x-expires", .number = ms + 3'600'000, .is_number = true}};
    if (auto ok = c.declare_queue(names_.delay_queue(bucket), args); !ok)
        return ok;
    amqp::arguments match{{.key = "x-match", .text = "all"}, {.key = delay_header, .text = std::to_string(ms)}};
    if (auto ok = c.bind_queue(names_.delay_queue(bucket), names_.delay_exchange(), "", match); !ok)
        return ok;
    delay_queues_[ms] = now;
    return {};
}

void declared_topology::forget()
{
    work_queues_.clear();
    delay_queues_.clear();
}

} // namespace tasker::rabbitmq
