#include "message_headers.hpp"

#include <string>

namespace tasker::rabbitmq {

std::vector<amqp::header> publish_headers(time_point visible_at, std::optional<std::chrono::milliseconds> bucket)
{
    const auto visible_us = std::chrono::duration_cast<std::chrono::microseconds>(visible_at.time_since_epoch()).count();
    std::vector<amqp::header> headers{{.key = read_count_header, .is_number = true},
                                      {.key = visible_at_header, .number = visible_us, .is_number = true}};
    if (bucket)
        headers.push_back({.key = delay_header, .text = std::to_string(bucket->count())});
    return headers;
}

delivery_facts read_headers(const std::vector<amqp::header>& headers, bool redelivered, time_point now)
{
    std::uint32_t before = 0;
    delivery_facts facts{.enqueued_at = now};
    for (const auto& h : headers) {
        if (h.key == read_count_header && h.is_number)
            before = static_cast<std::uint32_t>(h.number);
        else if (h.key == visible_at_header && h.is_number)
            facts.enqueued_at = time_point(std::chrono::duration_cast<duration>(std::chrono::microseconds(h.number)));
    }
    facts.read_count = before + 1 + (redelivered ? 1 : 0);
    return facts;
}

} // namespace tasker::rabbitmq
