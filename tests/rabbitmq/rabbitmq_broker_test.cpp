// tasker::rabbitmq against a real RabbitMQ: the broker conformance suite, push wake-ups,
// dead-lettering of foreign messages, and configuration errors.
#include <tasker/detail/run_blocking.hpp>
#include <tasker/rabbitmq/broker.hpp>
#include <tasker/rabbitmq/topology.hpp>
#include <tasker/testing/broker_conformance.hpp>
#include <tasker/testing/rabbitmq.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

static_assert(message_broker<rabbitmq::broker>);

struct rabbitmq_fixture {
    static constexpr duration tick = 200ms; // delays and leases are timers of the broker's own
    testing::rabbitmq_fixture server;
    rabbitmq::broker impl{{.url = server.url, .prefix = server.prefix}};

    rabbitmq::broker& broker() { return impl; }
    queue_name queue(std::string_view base) { return queue_name::make(std::string(base)).value(); }
    time_point now() const { return std::chrono::system_clock::now(); }
    void advance(duration d) { std::this_thread::sleep_for(d); } // a real server keeps real time
};

/// The same suite with every queue it uses packed (`broker_config::packed_queues`).
struct packed_rabbitmq_fixture {
    static constexpr duration tick = 200ms;
    static std::vector<queue_name> suite_queues()
    {
        std::vector<queue_name> out;
        for (const auto* base : {"ack", "batch", "delay", "ensure", "extend", "lease", "max", "nack", "noblock", "order",
                                 "racing", "sendread", "sendread_other", "waitdeadline", "waitsend", "waitvisible"})
            out.push_back(queue_name::make(base).value());
        return out;
    }
    testing::rabbitmq_fixture server;
    rabbitmq::broker impl{{.url = server.url, .prefix = server.prefix, .packed_queues = suite_queues()}};

    rabbitmq::broker& broker() { return impl; }
    queue_name queue(std::string_view base)
    {
        auto q = queue_name::make(std::string(base)).value();
        const auto packed = suite_queues();
        INFO("a queue of the suite missing from suite_queues() would run unpacked: " << base);
        REQUIRE(std::find(packed.begin(), packed.end(), q) != packed.end());
        return q;
    }
    time_point now() const { return std::chrono::system_clock::now(); }
    void advance(duration d) { std::this_thread::sleep_for(d); }
};

message msg(std::uint32_t step) { return message{message_kind::step_ready, step, 1, task_id{}}; }

/// Reads from `b` until `n` messages came or `within` passed.
std::vector<delivery> read_until(rabbitmq::broker& b, queue_name q, std::size_t n, duration within, std::size_t max = 100)
{
    std::vector<delivery> got;
    const auto give_up = std::chrono::system_clock::now() + within;
    while (got.size() < n && std::chrono::system_clock::now() < give_up) {
        auto some = detail::run_blocking(b.read(q, std::min(max, n - got.size()), 1h));
        REQUIRE(some);
        got.insert(got.end(), some->begin(), some->end());
        if (got.size() < n)
            REQUIRE(detail::run_blocking(b.wait(q, std::chrono::system_clock::now() + 1s)));
    }
    return got;
}

std::set<std::uint32_t> steps_of(const std::vector<delivery>& ds)
{
    std::set<std::uint32_t> out;
    for (const auto& d : ds)
        out.insert(d.msg.step);
    return out;
}

std::vector<delivery_id> ids_of(const std::vector<delivery>& ds)
{
    std::vector<delivery_id> out;
    for (const auto& d : ds)
        out.push_back(d.id);
    return out;
}

/// Nothing more comes to `b` on `q`, even after waiting a second for it.
void check_nothing_more(rabbitmq::broker& b, queue_name q)
{
    REQUIRE(detail::run_blocking(b.wait(q, std::chrono::system_clock::now() + 1s)));
    auto rest = detail::run_blocking(b.read(q, 10, 5s));
    REQUIRE(rest);
    CHECK(rest->empty());
}

} // namespace

TASKER_BROKER_CONFORMANCE(rabbitmq_fixture, "[rabbitmq]");
TASKER_BROKER_CONFORMANCE(packed_rabbitmq_fixture, "[rabbitmq]");

TEST_CASE("rabbitmq: a pack is acked when all its messages are, and comes back whole if its consumer goes first",
          "[rabbitmq]")
{
    testing::rabbitmq_fixture server;
    const auto q = queue_name::make("packs").value();
    const rabbitmq::broker_config config{.url = server.url, .prefix = server.prefix, .packed_queues = {q}};
    rabbitmq::broker survivor(config);
    REQUIRE(detail::run_blocking(survivor.ensure_queue(q)));
    {
        rabbitmq::broker first(config);
        REQUIRE(detail::run_blocking(first.send_batch(q, {msg(1), msg(2), msg(3)}, {})));
        REQUIRE(detail::run_blocking(first.send_batch(q, {msg(4), msg(5)}, {})));
        const auto held = read_until(first, q, 5, 10s, 2); // two at a time: packs are split
        REQUIRE(steps_of(held) == std::set<std::uint32_t>{1, 2, 3, 4, 5});
        // The second pack whole, the first but one message.
        std::vector<delivery_id> done;
        for (const auto& d : held)
            if (d.msg.step != 2)
                done.push_back(d.id);
        REQUIRE(detail::run_blocking(first.ack(q, std::move(done))));
    } // gone with step 2 unfinished: its pack comes back whole, steps 1 and 3 again
    const auto back = read_until(survivor, q, 3, 20s);
    CHECK(steps_of(back) == std::set<std::uint32_t>{1, 2, 3});
    for (const auto& d : back)
        CHECK(d.read_count == 2);
    REQUIRE(detail::run_blocking(survivor.ack(q, ids_of(back))));
    check_nothing_more(survivor, q); // the second pack was acked when its last message was
}

TEST_CASE("rabbitmq: the messages of a pack no read took go back to the queue, the others stay", "[rabbitmq]")
{
    testing::rabbitmq_fixture server;
    const auto q = queue_name::make("unread").value();
    const rabbitmq::broker_config config{
        .url = server.url, .prefix = server.prefix, .hold = 300ms, .packed_queues = {q}};
    rabbitmq::broker busy(config);
    rabbitmq::broker idle(config);
    REQUIRE(detail::run_blocking(busy.send_batch(q, {msg(1), msg(2), msg(3), msg(4)}, {})));
    const auto taken = read_until(busy, q, 1, 10s, 1); // one of the pack; then no more reads
    REQUIRE(taken.size() == 1);
    // After `hold`, the three unread go back as copies; `idle` gets exactly those.
    const auto moved = read_until(idle, q, 3, 20s);
    CHECK(moved.size() == 3);
    auto expected = std::set<std::uint32_t>{1, 2, 3, 4};
    expected.erase(taken[0].msg.step);
    CHECK(steps_of(moved) == expected);
    for (const auto& d : moved)
        CHECK(d.read_count == 1); // never handed out: not counted as a delivery
    REQUIRE(detail::run_blocking(idle.ack(q, ids_of(moved))));
    REQUIRE(detail::run_blocking(busy.ack(q, ids_of(taken))));
    check_nothing_more(idle, q); // all four settled: nothing comes back
}

TEST_CASE("rabbitmq: delays round up to two significant digits of milliseconds", "[rabbitmq]")
{
    using rabbitmq::delay_bucket;
    CHECK(delay_bucket(0ms) == 1ms);
    CHECK(delay_bucket(-5ms) == 1ms);
    CHECK(delay_bucket(1us) == 1ms);
    CHECK(delay_bucket(57ms) == 57ms);
    CHECK(delay_bucket(99ms) == 99ms);
    CHECK(delay_bucket(100ms) == 100ms);
    CHECK(delay_bucket(101ms) == 110ms);
    CHECK(delay_bucket(1234ms) == 1300ms);
    CHECK(delay_bucket(1200ms) == 1200ms);
    CHECK(delay_bucket(10001ms) == 11000ms);
    CHECK(delay_bucket(1h) == 1h);
}

TEST_CASE("rabbitmq: a waiter wakes when a message arrives, long before its deadline", "[rabbitmq]")
{
    testing::rabbitmq_fixture server;
    rabbitmq::broker b({.url = server.url, .prefix = server.prefix});
    const auto q = queue_name::make("wake").value();
    REQUIRE(detail::run_blocking(b.ensure_queue(q)));
    asio::io_context io;
    std::atomic<bool> woke{false};
    const auto started = std::chrono::steady_clock::now();
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
            auto r = co_await b.wait(q, std::chrono::system_clock::now() + 60s);
            CHECK(r);
            woke = true;
        },
        asio::detached);
    std::thread waiter([&] { io.run(); });
    // From another broker (another connection), as another process would.
    rabbitmq::broker sender({.url = server.url, .prefix = server.prefix});
    REQUIRE(detail::run_blocking(sender.send(q, msg(1), {})));
    waiter.join();
    CHECK(woke);
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    const auto got = detail::run_blocking(b.read(q, 10, 5s));
    REQUIRE(got);
    CHECK(got->size() == 1);
}

TEST_CASE("rabbitmq: a broker's unacked messages come back to another when it goes", "[rabbitmq]")
{
    testing::rabbitmq_fixture server;
    const auto q = queue_name::make("crash").value();
    rabbitmq::broker survivor({.url = server.url, .prefix = server.prefix});
    REQUIRE(detail::run_blocking(survivor.ensure_queue(q)));
    {
        rabbitmq::broker doomed({.url = server.url, .prefix = server.prefix});
        REQUIRE(detail::run_blocking(doomed.send_batch(q, {msg(1), msg(2)}, {})));
        // Deliveries arrive asynchronously after the consume starts.
        REQUIRE(read_until(doomed, q, 2, 20s).size() == 2);
    } // its connection closes with both unacked: a lease of an hour does not keep them
    const auto back = read_until(survivor, q, 2, 20s);
    REQUIRE(back.size() == 2);
    for (const auto& d : back)
        CHECK(d.read_count == 2);
}

TEST_CASE("rabbitmq: acks settle exactly the deliveries named, in any order", "[rabbitmq]")
{
    // The broker acks a run of the oldest unacked deliveries in one frame (`multiple`): a gap
    // (a delivery still being worked on) must stop the run, or it would be acked unfinished.
    testing::rabbitmq_fixture server;
    const auto q = queue_name::make("gaps").value();
    rabbitmq::broker survivor({.url = server.url, .prefix = server.prefix});
    REQUIRE(detail::run_blocking(survivor.ensure_queue(q)));
    std::set<std::uint32_t> unfinished;
    {
        rabbitmq::broker doomed({.url = server.url, .prefix = server.prefix});
        REQUIRE(detail::run_blocking(doomed.send_batch(q, {msg(1), msg(2), msg(3), msg(4), msg(5), msg(6)}, {})));
        const auto held = read_until(doomed, q, 6, 20s);
        REQUIRE(held.size() == 6);
        // Steps 1, 2 and 4 done, acked in a batch out of order; then 6 alone; 3 and 5 still running.
        REQUIRE(detail::run_blocking(doomed.ack(q, {held[3].id, held[0].id, held[1].id})));
        REQUIRE(detail::run_blocking(doomed.ack(q, {held[5].id})));
        unfinished = {held[2].msg.step, held[4].msg.step};
    } // gone: what it did not ack comes back
    CHECK(steps_of(read_until(survivor, q, 2, 20s)) == unfinished);
    check_nothing_more(survivor, q); // the acked ones are gone for good
}

TEST_CASE("rabbitmq: bad configuration is a clear error from every operation", "[rabbitmq]")
{
    const auto q = queue_name::make("config").value();
    SECTION("a prefix that could not be a queue name")
    {
        rabbitmq::broker b({.url = testing::rabbitmq_url(), .prefix = "bad prefix;--"});
        auto r = detail::run_blocking(b.send(q, msg(1), {}));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::invalid_name);
        CHECK_THAT(r.error().what(), Catch::Contains("bad prefix;--"));
    }
    SECTION("not an AMQP URL")
    {
        rabbitmq::broker b({.url = "http://user:secret@localhost/"});
        auto r = detail::run_blocking(b.ensure_queue(q));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::invalid_name);
        CHECK_THAT(r.error().what(), !Catch::Contains("secret"));
    }
    SECTION("wrong credentials")
    {
        rabbitmq::broker b({.url = "amqp://nobody:wrong@" + testing::rabbitmq_url().substr(testing::rabbitmq_url().find('@') + 1)});
        auto r = detail::run_blocking(b.ensure_queue(q));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::broker_error);
        CHECK_THAT(r.error().what(), Catch::Contains("nobody"));
        CHECK_THAT(r.error().what(), !Catch::Contains("wrong"));
    }
    SECTION("nothing listening")
    {
        rabbitmq::broker b({.url = "amqp://guest:guest@127.0.0.1:1/", .timeout = 2s});
        auto r = detail::run_blocking(b.ensure_queue(q));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::backend_unavailable);
        CHECK(is_transient(r.error()));
        CHECK_THAT(r.error().what(), Catch::Contains("127.0.0.1:1"));
    }
}
