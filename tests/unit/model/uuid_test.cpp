#include <tasker/model/uuid.hpp>

#include "support/catch.hpp"

#include <set>

using namespace tasker;

TEST_CASE("uuid: v7 layout, version and variant bits, timestamp", "[unit][uuid]")
{
    const auto at = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'700'000'000'123}};
    const auto id = uuid::v7(at, 0xabc, 0xffff'ffff'ffff'ffffULL);
    CHECK(id.version() == 7);
    CHECK((id.bytes()[8] & 0xc0) == 0x80); // RFC 9562 variant
    CHECK(id.unix_millis() == 1'700'000'000'123ULL);
    CHECK(id.to_string().size() == 36);
    CHECK(id.to_string().substr(14, 1) == "7");
}

TEST_CASE("uuid: parse round-trips and rejects malformed text", "[unit][uuid]")
{
    uuid_generator gen(7);
    const auto id = gen.next(std::chrono::system_clock::now());
    auto back = uuid::parse(id.to_string());
    REQUIRE(back);
    CHECK(*back == id);
    CHECK(uuid::parse("0192F0C8-1234-7ABC-8DEF-0123456789AB"));
    for (auto bad : {"", "not-a-uuid", "0192f0c8-1234-7abc-8def-0123456789a", "0192f0c8x1234-7abc-8def-0123456789ab",
                     "0192f0c8-1234-7abc-8def-0123456789ag"}) {
        auto r = uuid::parse(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_name);
    }
}

TEST_CASE("uuid_generator: ids are unique and sorted in creation order, even within a millisecond", "[unit][uuid]")
{
    uuid_generator gen(1);
    const auto now = std::chrono::system_clock::now();
    std::set<uuid> seen;
    uuid last;
    for (int i = 0; i < 10000; ++i) {
        const auto id = gen.next(now); // the same millisecond every time
        CHECK(id > last);
        last = id;
        seen.insert(id);
    }
    CHECK(seen.size() == 10000);
}

TEST_CASE("uuid_generator: the same seed replays the same ids", "[unit][uuid]")
{
    const auto now = std::chrono::system_clock::now();
    uuid_generator a(99), b(99), c(100);
    CHECK(a.next(now) == b.next(now));
    CHECK(a.next(now) != c.next(now));
}
