// The RabbitMQ broker's lease book: deliveries, leases, packs and which acks are due, with no
// server and no clock (times are passed in).
#include "lease_book.hpp"

#include <boost/json/serialize.hpp>

#include "support/catch.hpp"

#include <string>
#include <vector>

using namespace tasker;
using namespace std::chrono_literals;
using rabbitmq::ack_plan;
using rabbitmq::arrived;
using rabbitmq::lease_book;
using rabbitmq::outgoing;

namespace {

const rabbitmq::steady_time t0 = rabbitmq::steady_time{} + 1000s;
const time_point sent_at = time_point{} + 1'700'000'000s;
const std::string q = "work";

message msg(std::uint32_t step) { return message{message_kind::step_ready, step, 1, task_id{}}; }
std::string text(std::uint32_t step) { return json::serialize(to_json(msg(step))); }

/// Delivery `tag` carrying step `step`, delivered `read_count` times so far.
arrived one(std::uint64_t tag, std::uint32_t step, std::uint32_t read_count = 1)
{
    return arrived{.tag = tag, .body = text(step), .read_count = read_count, .enqueued_at = sent_at};
}

/// Delivery `tag` carrying a pack of `steps`.
arrived pack_of(std::uint64_t tag, const std::vector<std::uint32_t>& steps, std::uint32_t read_count = 1)
{
    std::vector<outgoing> ms;
    for (auto s : steps)
        ms.push_back({text(s), read_count - 1});
    return arrived{.tag = tag, .body = rabbitmq::pack(std::move(ms), 256).at(0).body, .read_count = read_count,
                   .enqueued_at = sent_at};
}

/// A book on a connection, with deliveries `tags` (one message each, step = tag) buffered.
lease_book with(const std::vector<std::uint64_t>& tags)
{
    lease_book b;
    b.connected();
    for (auto t : tags)
        b.arrive(q, one(t, static_cast<std::uint32_t>(t)));
    return b;
}

std::vector<delivery_id> ids_of(const std::vector<delivery>& ds)
{
    std::vector<delivery_id> out;
    for (const auto& d : ds)
        out.push_back(d.id);
    return out;
}

ack_plan each(std::vector<std::uint64_t> tags) { return ack_plan{std::nullopt, std::move(tags)}; }

} // namespace

TEST_CASE("lease_book: take hands out buffered messages in arrival order, at most `max`", "[unit][rabbitmq]")
{
    auto b = with({1, 2, 3});
    CHECK(b.buffered(q) == 3);
    const auto got = b.take(q, 2, t0 + 30s);
    REQUIRE(got.deliveries.size() == 2);
    CHECK(got.rejected.empty());
    CHECK(got.deliveries[0].msg == msg(1));
    CHECK(got.deliveries[1].msg == msg(2));
    CHECK(got.deliveries[0].read_count == 1);
    CHECK(got.deliveries[0].enqueued_at == sent_at);
    CHECK(got.deliveries[0].id != got.deliveries[1].id);
    CHECK(b.buffered(q) == 1);
    CHECK(b.leases() == 2);
    CHECK(b.take(q, 10, t0).deliveries.size() == 1);
    CHECK(b.take(q, 10, t0).deliveries.empty());
    CHECK(b.take("other", 10, t0).deliveries.empty());
}

TEST_CASE("lease_book: arrive says whether the queue had nothing buffered (a waiter to wake)", "[unit][rabbitmq]")
{
    lease_book b;
    b.connected();
    CHECK(b.arrive(q, one(1, 1)));
    CHECK_FALSE(b.arrive(q, one(2, 2)));
    CHECK(b.arrive("other", one(3, 3)));
    (void)b.take(q, 10, t0);
    CHECK(b.arrive(q, one(4, 4)));
    CHECK(b.unacked(1));
    CHECK(b.unacked(4));
}

TEST_CASE("lease_book: an unreadable delivery is listed to reject and no longer unacked", "[unit][rabbitmq]")
{
    lease_book b;
    b.connected();
    b.arrive(q, one(1, 1));
    b.arrive(q, arrived{.tag = 2, .body = "not json"});
    b.arrive(q, one(3, 3));
    const auto got = b.take(q, 10, t0);
    CHECK(got.rejected == std::vector<std::uint64_t>{2});
    REQUIRE(got.deliveries.size() == 2); // the ones after it are still handed out
    CHECK(got.deliveries[1].msg == msg(3));
    CHECK_FALSE(b.unacked(2));
    CHECK(b.unacked(1));
}

TEST_CASE("lease_book: the oldest unacked deliveries, all acked, go as one frame with `multiple`",
          "[unit][rabbitmq]")
{
    auto b = with({1, 2, 3, 4, 5});
    const auto ids = ids_of(b.take(q, 10, t0).deliveries);
    SECTION("all of them")
    {
        CHECK(b.acknowledge(ids) == ack_plan{5, {}});
    }
    SECTION("a run, then one per tag after a gap; in any order")
    {
        CHECK(b.acknowledge({ids[3], ids[0], ids[1]}) == ack_plan{2, {4}});
        CHECK(b.unacked(3));
        CHECK_FALSE(b.unacked(4));
        // 3 is the oldest unacked now: 5 alone is not a run from it.
        CHECK(b.acknowledge({ids[4]}) == each({5}));
        // A run of one is one plain ack.
        CHECK(b.acknowledge({ids[2]}) == each({3}));
    }
    SECTION("the oldest still being worked on stops the run")
    {
        CHECK(b.acknowledge({ids[1], ids[2], ids[3]}) == each({2, 3, 4}));
        CHECK(b.unacked(1));
    }
}

TEST_CASE("lease_book: a delivery nobody here consumes is unacked too, and stops a run", "[unit][rabbitmq]")
{
    lease_book b;
    b.connected();
    b.arrive_unclaimed(1);
    b.arrive(q, one(2, 2));
    b.arrive(q, one(3, 3));
    const auto ids = ids_of(b.take(q, 10, t0).deliveries);
    CHECK(b.acknowledge(ids) == each({2, 3}));
    CHECK(b.unacked(1));
}

TEST_CASE("lease_book: unknown and already settled ids are skipped", "[unit][rabbitmq]")
{
    auto b = with({1});
    const auto ids = ids_of(b.take(q, 10, t0).deliveries);
    CHECK(b.acknowledge({999}).empty());
    CHECK(b.acknowledge({ids[0], ids[0]}) == each({1}));
    CHECK(b.acknowledge(ids).empty());
    CHECK(b.leases() == 0);
}

TEST_CASE("lease_book: a pack is split between takes and acked once every message is", "[unit][rabbitmq]")
{
    lease_book b;
    b.connected();
    b.arrive(q, pack_of(7, {1, 2, 3}));
    const auto first = b.take(q, 2, t0);
    REQUIRE(first.deliveries.size() == 2);
    CHECK(b.buffered(q) == 1); // the rest of the pack
    const auto second = b.take(q, 2, t0);
    REQUIRE(second.deliveries.size() == 1);
    CHECK(second.deliveries[0].msg == msg(3));
    CHECK(b.buffered(q) == 0);
    CHECK(b.acknowledge(ids_of(first.deliveries)).empty());
    CHECK(b.unacked(7));
    CHECK(b.acknowledge(ids_of(second.deliveries)) == each({7}));
    CHECK_FALSE(b.unacked(7));
}

TEST_CASE("lease_book: leases end at their time, in hand-out order, as copies with one more read",
          "[unit][rabbitmq]")
{
    auto b = with({1, 2});
    const auto early = b.take(q, 1, t0 + 10s);
    const auto late = b.take(q, 1, t0 + 20s);
    CHECK(b.next_expiry() == t0 + 10s);
    CHECK(b.expire(t0 + 9s).empty());
    const auto ended = b.expire(t0 + 10s);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].queue == q);
    CHECK(ended[0].tag == 1);
    CHECK(ended[0].generation == b.generation());
    CHECK(ended[0].copies == std::vector<outgoing>{{text(1), 1}}); // the read that ended counts
    CHECK(b.next_expiry() == t0 + 20s);
    // Given back already: its ack is not due any more.
    CHECK(b.acknowledge(ids_of(early.deliveries)).empty());
    CHECK(b.expire(t0 + 1h).size() == 1);
    CHECK_FALSE(b.next_expiry());
    CHECK(b.acknowledge(ids_of(late.deliveries)).empty());
}

TEST_CASE("lease_book: extend moves a lease's end", "[unit][rabbitmq]")
{
    auto b = with({1});
    const auto got = b.take(q, 1, t0 + 10s);
    b.extend(got.deliveries[0].id, t0 + 60s);
    b.extend(999, t0); // not leased: nothing happens
    CHECK(b.expire(t0 + 30s).empty());
    CHECK(b.expire(t0 + 60s).size() == 1);
}

TEST_CASE("lease_book: withdraw ends one lease early, as its copy", "[unit][rabbitmq]")
{
    lease_book b;
    b.connected();
    b.arrive(q, one(1, 1, 3));
    const auto got = b.take(q, 1, t0);
    auto back = b.withdraw(got.deliveries[0].id);
    REQUIRE(back);
    CHECK(back->copies == std::vector<outgoing>{{text(1), 3}});
    CHECK_FALSE(b.withdraw(got.deliveries[0].id));
    CHECK_FALSE(b.withdraw(999));
}

TEST_CASE("lease_book: a delivery given back is acked once its copy is settled", "[unit][rabbitmq]")
{
    auto b = with({1});
    const auto got = b.take(q, 1, t0);
    auto back = b.withdraw(got.deliveries[0].id);
    REQUIRE(back);
    CHECK(b.unacked(1));
    CHECK(b.settle(back->tag, back->generation, back->copies.size()));
    CHECK_FALSE(b.unacked(1));
}

TEST_CASE("lease_book: unread deliveries go back whole, or the rest of a pack, with the read count they came with",
          "[unit][rabbitmq]")
{
    lease_book b;
    b.connected();
    b.arrive(q, pack_of(1, {1, 2, 3}, 2));
    b.arrive(q, one(2, 4, 2));
    const auto taken = b.take(q, 1, t0); // step 1 of the pack
    const auto back = b.unread(q);
    CHECK(b.buffered(q) == 0);
    REQUIRE(back.size() == 2);
    CHECK(back[0].tag == 1);
    CHECK(back[0].copies == std::vector<outgoing>{{text(2), 1}, {text(3), 1}}); // not handed out: not a read
    CHECK(back[1].tag == 2);
    CHECK(back[1].copies == std::vector<outgoing>{{text(4), 1}});
    CHECK(b.unread("other").empty());

    SECTION("the pack is acked when its copies are settled and its taken message acked")
    {
        CHECK_FALSE(b.settle(back[0].tag, back[0].generation, back[0].copies.size()));
        CHECK(b.acknowledge(ids_of(taken.deliveries)) == each({1}));
    }
    SECTION("in the other order too")
    {
        CHECK(b.acknowledge(ids_of(taken.deliveries)).empty());
        CHECK(b.settle(back[0].tag, back[0].generation, back[0].copies.size()));
        CHECK_FALSE(b.unacked(1));
    }
}

TEST_CASE("lease_book: tags of an older connection are never acked", "[unit][rabbitmq]")
{
    auto b = with({1, 2});
    const auto before = b.generation();
    const auto got = b.take(q, 2, t0);
    auto back = b.withdraw(got.deliveries[0].id);
    REQUIRE(back);

    SECTION("a connection lost drops its leases and buffered deliveries")
    {
        b.arrive(q, one(3, 3));
        b.disconnected();
        b.connected();
        CHECK(b.generation() == before + 1);
        CHECK(b.leases() == 0);
        CHECK(b.buffered(q) == 0);
        CHECK_FALSE(b.unacked(2));
        CHECK(b.acknowledge(ids_of(got.deliveries)).empty());
        CHECK_FALSE(b.settle(back->tag, back->generation, 1)); // RabbitMQ requeued it
    }
    SECTION("a lease still held from an older connection is settled without an ack")
    {
        b.connected();
        b.arrive(q, one(2, 2)); // the same tag number on the new connection
        CHECK(b.acknowledge({got.deliveries[1].id}).empty());
        CHECK(b.unacked(2));
    }
}

TEST_CASE("lease_book: a consumer gone with its queue forgets what it had buffered", "[unit][rabbitmq]")
{
    auto b = with({1, 2});
    b.arrive("other", one(3, 3));
    b.drop_buffered(q);
    CHECK(b.buffered(q) == 0);
    CHECK_FALSE(b.unacked(1));
    CHECK_FALSE(b.unacked(2));
    CHECK(b.buffered("other") == 1);
    CHECK(b.unacked(3));
    b.drop_buffered("never");
}
