#include <tasker/detail/run_blocking.hpp>
#include <tasker/inmemory/broker.hpp>

#include "support/catch.hpp"

#include <atomic>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand: leases and delays expire exactly when told.
struct stepped_clock {
    std::shared_ptr<std::atomic<time_point::rep>> now_ =
        std::make_shared<std::atomic<time_point::rep>>(time_point{std::chrono::hours(1000)}.time_since_epoch().count());
    time_point now() const { return time_point{duration{now_->load()}}; }
    awaitable<void> wait_until(time_point) const { co_return; }
    void advance(duration d) { *now_ += d.count(); }
};

message msg(std::uint32_t step) { return message{message_kind::step_ready, step, 1, uuid{}}; }

struct fixture {
    stepped_clock clock;
    inmemory::broker broker{any_clock(clock)};
    queue_name q = queue_name::make("worker_tests").value();
};

} // namespace

static_assert(message_broker<inmemory::broker>);

TEST_CASE_METHOD(fixture, "in-memory broker: FIFO delivery, leases and acks", "[unit][inmemory][broker]")
{
    std::vector<message> ms{msg(1), msg(2), msg(3)};
    broker.push(q, ms, 0s);
    auto first = broker.take(q, 2, 10s);
    REQUIRE(first.size() == 2);
    CHECK(first[0].msg.step == 1);
    CHECK(first[1].msg.step == 2);
    CHECK(first[0].read_count == 1);
    CHECK(broker.stats(q).in_flight == 2);
    CHECK(broker.stats(q).visible == 1);

    broker.ack_sync(q, std::vector<delivery_id>{first[0].id, first[1].id});
    CHECK(broker.stats(q).in_flight == 0);
    auto rest = broker.take(q, 10, 10s);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].msg.step == 3);
    CHECK(broker.take(q, 10, 10s).empty());
}

TEST_CASE_METHOD(fixture, "in-memory broker: an unacked message comes back after its lease, counted", "[unit][inmemory][broker]")
{
    std::vector<message> ms{msg(7)};
    broker.push(q, ms, 0s);
    auto d1 = broker.take(q, 1, 5s);
    REQUIRE(d1.size() == 1);
    clock.advance(4s);
    CHECK(broker.take(q, 1, 5s).empty()); // still leased
    clock.advance(1s);
    auto d2 = broker.take(q, 1, 5s);
    REQUIRE(d2.size() == 1);
    CHECK(d2[0].msg == d1[0].msg);
    CHECK(d2[0].read_count == 2);
    CHECK(d2[0].id != d1[0].id);
    // The first delivery's id is stale now: acking it must not remove the redelivery.
    broker.ack_sync(q, std::vector<delivery_id>{d1[0].id});
    CHECK(broker.stats(q).in_flight == 1);
    broker.ack_sync(q, std::vector<delivery_id>{d2[0].id});
    CHECK(broker.stats(q).in_flight == 0);
}

TEST_CASE_METHOD(fixture, "in-memory broker: delayed sends, nack with delay, lease extension", "[unit][inmemory][broker]")
{
    std::vector<message> ms{msg(1)};
    broker.push(q, ms, 3s);
    CHECK(broker.stats(q).delayed == 1);
    CHECK(broker.take(q, 1, 5s).empty());
    CHECK(broker.next_due() == clock.now() + 3s);
    clock.advance(3s);
    auto d = broker.take(q, 1, 5s);
    REQUIRE(d.size() == 1);

    CHECK(broker.nack_sync(q, d[0].id, 2s));
    CHECK_FALSE(broker.nack_sync(q, d[0].id, 2s)); // already given back
    clock.advance(1s);
    CHECK(broker.take(q, 1, 5s).empty());
    clock.advance(1s);
    auto again = broker.take(q, 1, 5s);
    REQUIRE(again.size() == 1);
    CHECK(again[0].read_count == 2);

    clock.advance(4s);
    CHECK(broker.extend_sync(q, again[0].id, 10s));
    clock.advance(5s); // past the original lease, within the extension
    CHECK(broker.take(q, 1, 5s).empty());
    clock.advance(6s);
    CHECK(broker.take(q, 1, 5s).size() == 1);
}

TEST_CASE_METHOD(fixture, "in-memory broker: leases of different lengths expire in order", "[unit][inmemory][broker]")
{
    std::vector<message> ms{msg(1), msg(2), msg(3)};
    broker.push(q, ms, 0s);
    auto a = broker.take(q, 1, 30s);
    auto b = broker.take(q, 1, 10s);
    auto c = broker.take(q, 1, 20s);
    clock.advance(15s);
    auto back = broker.take(q, 10, 1h);
    REQUIRE(back.size() == 1);
    CHECK(back[0].msg.step == 2);
    clock.advance(10s);
    back = broker.take(q, 10, 1h);
    REQUIRE(back.size() == 1);
    CHECK(back[0].msg.step == 3);
    broker.ack_sync(q, std::vector<delivery_id>{a[0].id});
    clock.advance(1h);
    CHECK(broker.take(q, 10, 1h).size() == 2); // b's and c's redeliveries, not a
}

TEST_CASE_METHOD(fixture, "in-memory broker: coroutine interface and batches", "[unit][inmemory][broker]")
{
    auto sent = detail::run_blocking(broker.send_batch(q, std::vector<message>{msg(1), msg(2)}, 0s));
    REQUIRE(sent);
    auto got = detail::run_blocking(broker.read(q, 5, 1s));
    REQUIRE(got);
    CHECK(got->size() == 2);
    CHECK(broker.stats(q).sent == 2);
    REQUIRE(detail::run_blocking(broker.ack(q, std::vector<delivery_id>{(*got)[0].id, (*got)[1].id})));
    CHECK(broker.stats(q).in_flight == 0);
}

TEST_CASE("in-memory broker: wait() wakes on a send from another thread", "[unit][inmemory][broker]")
{
    inmemory::broker broker;
    const auto q = queue_name::make("worker_wake").value();
    std::thread sender([&] {
        std::vector<message> ms{msg(1)};
        broker.push(q, ms, 0s);
    });
    // Waits at most 10 s; returns as soon as the message is there.
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(detail::run_blocking(broker.wait(q, std::chrono::system_clock::now() + 10s)));
    sender.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(broker.take(q, 1, 1s).size() == 1);
}
