// The RabbitMQ broker's pack codec: several tasker messages in one AMQP body, and back. Pure.
#include "pack_codec.hpp"

#include <boost/json/serialize.hpp>

#include "support/catch.hpp"

#include <string>
#include <vector>

using namespace tasker;
using rabbitmq::outgoing;

namespace {

message msg(std::uint32_t step) { return message{message_kind::step_ready, step, 1, task_id{}}; }
std::string text(std::uint32_t step) { return json::serialize(to_json(msg(step))); }
outgoing out(std::uint32_t step, std::uint32_t read_count = 0) { return {text(step), read_count}; }

} // namespace

TEST_CASE("pack: a run of messages with the same read count goes as one JSON array", "[unit][rabbitmq]")
{
    const auto packs = rabbitmq::pack({out(1), out(2), out(3)}, 256);
    REQUIRE(packs.size() == 1);
    CHECK(packs[0].body == "[" + text(1) + "," + text(2) + "," + text(3) + "]");
    CHECK(packs[0].read_count == 0);
}

TEST_CASE("pack: a single message stays as it is, and nothing gives nothing", "[unit][rabbitmq]")
{
    CHECK(rabbitmq::pack({}, 256).empty());
    CHECK(rabbitmq::pack({out(7, 2)}, 256) == std::vector<outgoing>{out(7, 2)});
}

TEST_CASE("pack: a change of read count starts a new body, in order", "[unit][rabbitmq]")
{
    const auto packs = rabbitmq::pack({out(1), out(2), out(3, 1), out(4)}, 256);
    REQUIRE(packs.size() == 3);
    CHECK(packs[0] == outgoing{"[" + text(1) + "," + text(2) + "]", 0});
    CHECK(packs[1] == out(3, 1));
    CHECK(packs[2] == out(4));
}

TEST_CASE("pack: at most `limit` messages a body, a limit below one counting as one", "[unit][rabbitmq]")
{
    const auto packs = rabbitmq::pack({out(1), out(2), out(3), out(4), out(5)}, 2);
    REQUIRE(packs.size() == 3);
    CHECK(packs[0].body == "[" + text(1) + "," + text(2) + "]");
    CHECK(packs[1].body == "[" + text(3) + "," + text(4) + "]");
    CHECK(packs[2] == out(5));
    CHECK(rabbitmq::pack({out(1), out(2)}, 0) == std::vector<outgoing>{out(1), out(2)});
}

TEST_CASE("unpack: one message keeps its body as its text", "[unit][rabbitmq]")
{
    const auto body = text(4);
    auto parts = rabbitmq::unpack(body);
    REQUIRE(parts);
    REQUIRE(parts->size() == 1);
    CHECK((*parts)[0].first == msg(4));
    CHECK((*parts)[0].second == body);
}

TEST_CASE("unpack: a pack gives its messages in order, each with its own text", "[unit][rabbitmq]")
{
    const auto packs = rabbitmq::pack({out(1), out(2), out(3)}, 256);
    auto parts = rabbitmq::unpack(packs[0].body);
    REQUIRE(parts);
    REQUIRE(parts->size() == 3);
    for (std::uint32_t i = 0; i < 3; ++i) {
        CHECK((*parts)[i].first == msg(i + 1));
        CHECK((*parts)[i].second == text(i + 1)); // what goes out again if given back alone
    }
}

TEST_CASE("unpack: a body no reader could take is an error", "[unit][rabbitmq]")
{
    SECTION("not JSON")
    {
        auto r = rabbitmq::unpack("hello");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::malformed_json);
    }
    SECTION("an empty pack")
    {
        auto r = rabbitmq::unpack("[]");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::malformed_json);
        CHECK_THAT(r.error().what(), Catch::Contains("empty pack"));
    }
    SECTION("a JSON object that is not a tasker message")
    {
        CHECK_FALSE(rabbitmq::unpack(R"({"hello":"world"})"));
    }
    SECTION("a pack with one element that is not a tasker message")
    {
        CHECK_FALSE(rabbitmq::unpack("[" + text(1) + ",42]"));
    }
}
