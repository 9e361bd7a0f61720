// The RabbitMQ broker's publisher: batches answered once all their confirms came, or with the
// first failure, exactly once. The connection is a function handing out sequence numbers.
#include "publisher.hpp"

#include "support/catch.hpp"

#include <optional>
#include <string>
#include <vector>

using namespace tasker;
using rabbitmq::outgoing;
using rabbitmq::publisher;

namespace {

/// A connection stand-in: numbers publishes from 1 and records their bodies; fails the
/// publish numbered `fail_at`, if set.
struct wire {
    std::uint64_t next = 1;
    std::optional<std::uint64_t> fail_at;
    std::vector<std::string> sent;

    publisher::send_function send()
    {
        return [this](const outgoing& m) -> result<std::uint64_t> {
            if (fail_at && next == *fail_at)
                return error{errc::backend_unavailable, "socket closed"};
            sent.push_back(m.body);
            return next++;
        };
    }
};

/// Records the answers of one batch.
struct answers {
    std::vector<result<void>> got;

    detail::backend_reply<void> reply()
    {
        return [this](result<void> r) { got.push_back(std::move(r)); };
    }
};

std::vector<outgoing> bodies(std::initializer_list<const char*> bs)
{
    std::vector<outgoing> out;
    for (const auto* b : bs)
        out.push_back({b, 0});
    return out;
}

} // namespace

TEST_CASE("publisher: a batch is answered once every message in it is confirmed", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers a;
    REQUIRE(p.publish(bodies({"a", "b", "c"}), w.send(), a.reply()));
    CHECK(w.sent == std::vector<std::string>{"a", "b", "c"});
    CHECK(p.unconfirmed() == 3);
    p.confirmed(2, false);
    p.confirmed(1, false);
    CHECK(a.got.empty());
    p.confirmed(3, false);
    REQUIRE(a.got.size() == 1);
    CHECK(a.got[0]);
    CHECK(p.unconfirmed() == 0);
}

TEST_CASE("publisher: a confirm with `multiple` covers every sequence number up to its own", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers first, second;
    REQUIRE(p.publish(bodies({"a", "b"}), w.send(), first.reply()));
    REQUIRE(p.publish(bodies({"c", "d"}), w.send(), second.reply()));
    p.confirmed(3, true);
    REQUIRE(first.got.size() == 1);
    CHECK(first.got[0]);
    CHECK(second.got.empty());
    CHECK(p.unconfirmed() == 1);
    p.confirmed(4, true);
    CHECK(second.got.size() == 1);
}

TEST_CASE("publisher: an empty batch is answered at once", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers a;
    REQUIRE(p.publish({}, w.send(), a.reply()));
    REQUIRE(a.got.size() == 1);
    CHECK(a.got[0]);
    CHECK(w.sent.empty());
}

TEST_CASE("publisher: a publisher nack fails its batch, answered when the rest are confirmed", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers a;
    REQUIRE(p.publish(bodies({"a", "b"}), w.send(), a.reply()));
    p.confirmed(1, false, error{errc::backend_unavailable, "nack"});
    CHECK(a.got.empty());
    p.confirmed(2, false);
    REQUIRE(a.got.size() == 1);
    REQUIRE_FALSE(a.got[0]);
    CHECK(a.got[0].error().message == "nack");
}

TEST_CASE("publisher: confirms of unknown sequence numbers change nothing", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers a;
    REQUIRE(p.publish(bodies({"a"}), w.send(), a.reply()));
    p.confirmed(9, false);
    CHECK(a.got.empty());
    CHECK(p.unconfirmed() == 1);
}

TEST_CASE("publisher: a failed send fails every batch waiting, its own too, once each", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers earlier, failing;
    REQUIRE(p.publish(bodies({"a"}), w.send(), earlier.reply()));
    w.fail_at = 3; // the second message of the next batch
    auto r = p.publish(bodies({"b", "c", "d"}), w.send(), failing.reply());
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "socket closed");
    REQUIRE(earlier.got.size() == 1);
    CHECK_FALSE(earlier.got[0]);
    REQUIRE(failing.got.size() == 1);
    CHECK_FALSE(failing.got[0]);
    CHECK(p.unconfirmed() == 0);
    p.confirmed(2, true); // a late confirm: nothing left to answer
    CHECK(failing.got.size() == 1);
}

TEST_CASE("publisher: a failed first send fails only its own batch", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    w.fail_at = 1;
    answers a;
    REQUIRE_FALSE(p.publish(bodies({"a"}), w.send(), a.reply()));
    REQUIRE(a.got.size() == 1);
    CHECK_FALSE(a.got[0]);
}

TEST_CASE("publisher: fail_all answers each waiting batch once, a nacked one with its nack", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers nacked, waiting, done;
    REQUIRE(p.publish(bodies({"a", "b"}), w.send(), nacked.reply()));
    REQUIRE(p.publish(bodies({"c", "d"}), w.send(), waiting.reply()));
    REQUIRE(p.publish(bodies({"e"}), w.send(), done.reply()));
    p.confirmed(1, false, error{errc::backend_unavailable, "nack"});
    p.confirmed(5, false);
    p.fail_all(error{errc::shutting_down, "stopping"});
    REQUIRE(nacked.got.size() == 1);
    CHECK(nacked.got[0].error().message == "nack");
    REQUIRE(waiting.got.size() == 1);
    CHECK(waiting.got[0].error() == errc::shutting_down);
    CHECK(done.got.size() == 1);
    CHECK(done.got[0]);
    CHECK(p.unconfirmed() == 0);
}

TEST_CASE("publisher: an answer may publish again", "[unit][rabbitmq]")
{
    publisher p;
    wire w;
    answers inner;
    bool outer_answered = false;
    REQUIRE(p.publish(bodies({"a"}), w.send(), [&](result<void> r) {
        outer_answered = true;
        CHECK(r);
        CHECK(p.publish(bodies({"b"}), w.send(), inner.reply()));
    }));
    p.confirmed(1, false);
    CHECK(outer_answered);
    CHECK(p.unconfirmed() == 1);
    p.confirmed(2, false);
    CHECK(inner.got.size() == 1);
}
