// The headers tasker puts on its AMQP messages and reads back from deliveries. Pure.
#include "message_headers.hpp"

#include "support/catch.hpp"

#include <string>
#include <vector>

using namespace tasker;
using namespace std::chrono_literals;
using rabbitmq::amqp::header;

namespace {

const time_point now = time_point{} + 1'700'000'000s;

header number(std::string key, std::int64_t n) { return {.key = std::move(key), .number = n, .is_number = true}; }

} // namespace

TEST_CASE("publish_headers: the read count first (0, set per message), then when it becomes visible",
          "[unit][rabbitmq]")
{
    const auto hs = rabbitmq::publish_headers(now + 5s, std::nullopt);
    REQUIRE(hs.size() == 2);
    CHECK(hs[0].key == rabbitmq::read_count_header);
    CHECK(hs[0].is_number);
    CHECK(hs[0].number == 0);
    CHECK(hs[1].key == rabbitmq::visible_at_header);
    CHECK(hs[1].number == std::chrono::duration_cast<std::chrono::microseconds>((now + 5s).time_since_epoch()).count());
}

TEST_CASE("publish_headers: a delayed message names its delay bucket, which routes it", "[unit][rabbitmq]")
{
    const auto hs = rabbitmq::publish_headers(now, std::chrono::milliseconds(1300));
    REQUIRE(hs.size() == 3);
    CHECK(hs[2].key == rabbitmq::delay_header);
    CHECK_FALSE(hs[2].is_number);
    CHECK(hs[2].text == "1300");
}

TEST_CASE("read_headers: this delivery counts, on top of those before its publish", "[unit][rabbitmq]")
{
    CHECK(rabbitmq::read_headers({number(rabbitmq::read_count_header, 0)}, false, now).read_count == 1);
    CHECK(rabbitmq::read_headers({number(rabbitmq::read_count_header, 3)}, false, now).read_count == 4);
}

TEST_CASE("read_headers: a redelivery by RabbitMQ counts once more", "[unit][rabbitmq]")
{
    CHECK(rabbitmq::read_headers({number(rabbitmq::read_count_header, 3)}, true, now).read_count == 5);
}

TEST_CASE("read_headers: sent (or visible) when its header says, else now", "[unit][rabbitmq]")
{
    const auto published = rabbitmq::publish_headers(now - 2s, std::nullopt);
    CHECK(rabbitmq::read_headers(published, false, now).enqueued_at == now - 2s);
    const auto foreign = rabbitmq::read_headers({}, false, now); // not published by tasker
    CHECK(foreign.enqueued_at == now);
    CHECK(foreign.read_count == 1);
}

TEST_CASE("read_headers: headers of other types or names are not ours", "[unit][rabbitmq]")
{
    const std::vector<header> hs{{.key = rabbitmq::read_count_header, .text = "7"}, number("x-other", 9)};
    const auto facts = rabbitmq::read_headers(hs, false, now);
    CHECK(facts.read_count == 1);
    CHECK(facts.enqueued_at == now);
}
