#pragma once
// The `message_broker` conformance suite: every case of the concept's contract as Catch2 v2
// test cases, for any broker a fixture can make. Header-only; include it in one test file.

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>

#include <tasker/testing/conformance/support.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace tasker::testing {

/// What `TASKER_BROKER_CONFORMANCE` needs to run the broker suite against a backend. Every
/// test case default-constructs one fixture (`F f;`, so an aggregate holding a
/// `manual_clock` will do) and uses nothing else: a fixture instance is the unit of
/// isolation. For a fixture `f`:
///
/// 1. `f.broker()`: an lvalue reference to the `message_broker` under test.
/// 2. `f.queue(base)`: a `queue_name` made from `base` (`[a-z_]+`, at most 24 characters)
///    that no other fixture instance uses, so backends on a shared server do not see each
///    other's messages (e.g. `base + "_" + a per-instance suffix`). The suite calls
///    `ensure_queue` itself.
/// 3. `f.now()`: the broker's current time, the base of `wait` deadlines.
/// 4. `f.advance(d)`: makes `d` of broker time pass. With the testing kit's `manual_clock`
///    that is `clock.advance(d)`, and the suite runs in microseconds. A broker on a server
///    uses the real clock: `advance` then sleeps for `d` (the suite's cases sleep a couple of
///    minutes in all at the default tick).
/// 5. Optionally `static constexpr duration tick`: the unit of every delay and lease in the
///    suite (default 1 s); set it above your backend's timer resolution (PGMQ counts whole
///    seconds).
///
/// @par Example
/// @code
/// struct memory_broker_fixture {
///     tasker::testing::manual_clock clock;
///     tasker::inmemory::broker impl{tasker::any_clock::ref(clock)};
///
///     tasker::inmemory::broker& broker() { return impl; }
///     tasker::queue_name queue(std::string_view base) { return tasker::queue_name::make(base).value(); }
///     tasker::time_point now() const { return clock.now(); }
///     void advance(tasker::duration d) { clock.advance(d); }
/// };
/// TASKER_BROKER_CONFORMANCE(memory_broker_fixture, "[memory]");
/// @endcode
template <class F>
concept broker_fixture = std::is_default_constructible_v<F> && requires(F& f, std::string_view base, duration d) {
    requires std::is_lvalue_reference_v<decltype(f.broker())>;
    requires message_broker<std::remove_reference_t<decltype(f.broker())>>;
    { f.queue(base) } -> std::same_as<queue_name>;
    { f.now() } -> std::same_as<time_point>;
    { f.advance(d) } -> std::same_as<void>;
};


/// The cases of the broker suite, one member function each, run by
/// `TASKER_BROKER_CONFORMANCE` on a fresh fixture. Times are in the fixture's ticks, and
/// checks never sit on a boundary: "before" is a tick early, "after" a tick late, so
/// backends that differ on `<` and `<=` pass alike. Messages are told apart by their
/// `step` field.
template <broker_fixture F>
class broker_conformance {
public:
    using broker_type = std::remove_reference_t<decltype(std::declval<F&>().broker())>;

    explicit broker_conformance(F& fixture)
        : f_(fixture), tag_(uuid_generator().next(std::chrono::system_clock::now()))
    {
    }

    /// Contract 1: creating a queue twice is fine, and does not empty it.
    void ensure_queue_is_idempotent()
    {
        const auto q = f_.queue("ensure");
        run(broker().ensure_queue(q), "ensure_queue");
        run(broker().ensure_queue(q), "ensure_queue, again");
        send(q, msg(1));
        run(broker().ensure_queue(q), "ensure_queue on a queue holding a message");
        const auto got = read(q, 10, ticks(5));
        REQUIRE(got.size() == 1);
        CHECK(got[0].msg == msg(1));
    }

    /// Contracts 2 and 3: a message is read once, with read_count 1, from its queue only;
    /// while leased it is not read again.
    void send_then_read()
    {
        const auto q = queue("sendread");
        const auto other = queue("sendread_other");
        send(q, msg(7));
        CHECK(read(other, 10, ticks(5)).empty());
        const auto got = read(q, 10, ticks(5));
        REQUIRE(got.size() == 1);
        CHECK(got[0].msg == msg(7));
        CHECK(got[0].read_count == 1);
        CHECK(read(q, 10, ticks(5)).empty());
    }

    /// Contract 3: a read with nothing visible ends at once with an empty vector, whether
    /// the queue is empty or all its messages are leased.
    void read_never_blocks()
    {
        const auto q = queue("noblock");
        CHECK(read_promptly(q).empty());
        send(q, msg(1));
        REQUIRE(read(q, 10, ticks(60)).size() == 1);
        CHECK(read_promptly(q).empty());
    }

    /// Contract 3: oldest first, across single sends and batches, and again when the same
    /// messages come back together after their leases.
    void oldest_first()
    {
        const auto q = queue("order");
        for (std::uint32_t i = 1; i <= 3; ++i)
            send(q, msg(i));
        send_batch(q, {msg(4), msg(5)});
        const std::vector<std::uint32_t> sent{1, 2, 3, 4, 5};
        CHECK(conformance::steps_of(read_all(q, 10, ticks(5))) == sent);
        f_.advance(ticks(6));
        const auto again = read_all(q, 10, ticks(5));
        CHECK(conformance::steps_of(again) == sent);
        for (const auto& d : again)
            CHECK(d.read_count == 2);
    }

    /// Contract 3: never more than `max` per read, and every message is reachable.
    void max_is_respected()
    {
        const auto q = queue("max");
        send_batch(q, {msg(1), msg(2), msg(3), msg(4), msg(5)});
        std::size_t total = 0;
        for (int reads = 0; reads < 10; ++reads) {
            const auto got = read(q, 2, ticks(5));
            CHECK(got.size() <= 2);
            if (got.empty())
                break;
            total += got.size();
        }
        CHECK(total == 5);
        CHECK(read(q, 1, ticks(5)).empty());
    }

    /// Contract 2: a batch of 100 read in chunks of 7: each message once, none lost; once
    /// acked, none comes back.
    void batches_lose_and_duplicate_nothing()
    {
        const auto q = queue("batch");
        std::vector<message> ms;
        for (std::uint32_t i = 0; i < 100; ++i)
            ms.push_back(msg(i));
        send_batch(q, std::move(ms));
        std::multiset<std::uint32_t> seen;
        std::vector<delivery_id> ids;
        for (int reads = 0; reads < 100; ++reads) {
            const auto got = read(q, 7, ticks(5));
            CHECK(got.size() <= 7);
            if (got.empty())
                break;
            for (const auto& d : got) {
                seen.insert(d.msg.step);
                ids.push_back(d.id);
                CHECK(d.read_count == 1);
            }
        }
        CHECK(seen.size() == 100);
        for (std::uint32_t i = 0; i < 100; ++i) {
            INFO("message " << i);
            CHECK(seen.count(i) == 1);
        }
        ack(q, std::move(ids));
        f_.advance(ticks(6));
        CHECK(read(q, 100, ticks(5)).empty());
    }

    /// Contract 2: a delayed send is invisible until its delay has passed, single or batch,
    /// and does not hold back a message sent after it without delay.
    void delayed_send()
    {
        const auto q = queue("delay");
        send(q, msg(1), ticks(5));
        send_batch(q, {msg(2), msg(3)}, ticks(5));
        CHECK(read(q, 10, ticks(60)).empty());
        send(q, msg(4));
        const auto undelayed = read(q, 10, ticks(60));
        CHECK(conformance::steps_of(undelayed) == std::vector<std::uint32_t>{4});
        f_.advance(ticks(4));
        CHECK(read(q, 10, ticks(60)).empty());
        f_.advance(ticks(2));
        auto due = conformance::steps_of(read_all(q, 10, ticks(60)));
        std::sort(due.begin(), due.end());
        CHECK(due == std::vector<std::uint32_t>{1, 2, 3});
    }

    /// Contract 3: an unacked message comes back once its lease ends, not before, with
    /// read_count one higher each time.
    void lease_expiry_redelivers()
    {
        const auto q = queue("lease");
        send(q, msg(1));
        const auto first = read(q, 10, ticks(5));
        REQUIRE(first.size() == 1);
        CHECK(first[0].read_count == 1);
        f_.advance(ticks(4));
        CHECK(read(q, 10, ticks(5)).empty());
        f_.advance(ticks(2));
        const auto second = read(q, 10, ticks(5));
        REQUIRE(second.size() == 1);
        CHECK(second[0].msg == msg(1));
        CHECK(second[0].read_count == 2);
        f_.advance(ticks(6));
        const auto third = read(q, 10, ticks(5));
        REQUIRE(third.size() == 1);
        CHECK(third[0].read_count == 3);
        ack(q, {third[0].id});
        f_.advance(ticks(6));
        CHECK(read(q, 10, ticks(5)).empty());
    }

    /// Contract 4: acked messages never come back; unknown and repeated ids are ignored,
    /// without an error and without touching other messages.
    void ack_removes_for_good()
    {
        const auto q = queue("ack");
        send_batch(q, {msg(1), msg(2), msg(3)});
        const auto got = read_all(q, 10, ticks(5));
        REQUIRE(conformance::steps_of(got) == std::vector<std::uint32_t>{1, 2, 3});
        delivery_id unknown = 0;
        for (const auto& d : got)
            unknown = std::max(unknown, d.id);
        unknown += 1'000'000;
        ack(q, {got[0].id, got[1].id, unknown});
        ack(q, {});
        ack(q, {got[0].id});
        f_.advance(ticks(6));
        const auto back = read_all(q, 10, ticks(5));
        REQUIRE(conformance::steps_of(back) == std::vector<std::uint32_t>{3});
        CHECK(back[0].read_count == 2);
        ack(q, {back[0].id});
        f_.advance(ticks(6));
        CHECK(read(q, 10, ticks(5)).empty());
    }

    /// Contract 5: a nacked message is visible again after the nack's delay, long before
    /// its lease would have ended, with read_count + 1; without delay, at once.
    void nack_with_delay()
    {
        const auto q = queue("nack");
        send(q, msg(1));
        const auto first = read(q, 10, ticks(60));
        REQUIRE(first.size() == 1);
        nack(q, first[0].id, ticks(5));
        CHECK(read(q, 10, ticks(60)).empty());
        f_.advance(ticks(4));
        CHECK(read(q, 10, ticks(60)).empty());
        f_.advance(ticks(2));
        const auto second = read(q, 10, ticks(60));
        REQUIRE(second.size() == 1);
        CHECK(second[0].msg == msg(1));
        CHECK(second[0].read_count == 2);
        nack(q, second[0].id, duration::zero());
        const auto third = read(q, 10, ticks(60));
        REQUIRE(third.size() == 1);
        CHECK(third[0].read_count == 3);
    }

    /// Contract 6: an extended lease keeps the message past its original lease, and ends
    /// when the extension does.
    void extend_lease_keeps_message()
    {
        const auto q = queue("extend");
        send(q, msg(1));
        const auto first = read(q, 10, ticks(5));
        REQUIRE(first.size() == 1);
        f_.advance(ticks(3));
        run(broker().extend_lease(q, first[0].id, ticks(5)), "extend_lease"); // until tick 8
        f_.advance(ticks(3));                                                             // tick 6
        CHECK(read(q, 10, ticks(5)).empty());
        f_.advance(ticks(3)); // tick 9
        const auto back = read(q, 10, ticks(5));
        REQUIRE(back.size() == 1);
        CHECK(back[0].read_count == 2);
    }

    /// Contracts 3-5 together: readers taking turns — one acks everything, one nacks part
    /// of what it gets and acks the rest, one crashes (never acks). Every message is acked
    /// exactly once in the end, no message is delivered twice within one lease, each
    /// delivery's read_count counts the deliveries so far, and nothing remains.
    void at_least_once_with_racing_readers()
    {
        const auto q = queue("racing");
        constexpr std::uint32_t n = 30;
        std::vector<message> ms;
        for (std::uint32_t i = 0; i < n; ++i)
            ms.push_back(msg(i));
        send_batch(q, std::move(ms));

        std::map<std::uint32_t, int> acked;
        std::map<std::uint32_t, std::uint32_t> deliveries;
        for (int period = 0; period < 50 && acked.size() < n; ++period) {
            std::set<std::uint32_t> leased; // delivered and not given back in this lease period
            for (bool progress = true; progress;) {
                progress = false;
                for (int reader = 0; reader < 3; ++reader) {
                    const auto got = read(q, 4, ticks(5));
                    progress = progress || !got.empty();
                    std::vector<delivery_id> to_ack;
                    for (std::size_t i = 0; i < got.size(); ++i) {
                        const auto& d = got[i];
                        INFO("message " << d.msg.step << ", reader " << reader);
                        CHECK(leased.insert(d.msg.step).second);
                        CHECK(d.read_count == ++deliveries[d.msg.step]);
                        if (reader == 1 && i == 0) {
                            nack(q, d.id, duration::zero());
                            leased.erase(d.msg.step);
                        } else if (reader != 2) {
                            to_ack.push_back(d.id);
                            ++acked[d.msg.step];
                        }
                    }
                    if (!to_ack.empty())
                        ack(q, std::move(to_ack));
                }
            }
            f_.advance(ticks(6)); // the crashed reader's leases run out
        }
        CHECK(acked.size() == n);
        for (const auto& [step, times] : acked) {
            INFO("message " << step);
            CHECK(times == 1);
        }
        f_.advance(ticks(6));
        CHECK(read(q, 100, ticks(5)).empty());
    }

    /// Contract 7: a wait on a queue with a visible message ends at once, and one whose
    /// deadline has passed ends at once too.
    void wait_returns_when_visible()
    {
        const auto q = queue("waitvisible");
        {
            conformance::pending_operation<result<void>> w(broker().wait(q, f_.now() - ticks(1)));
            REQUIRE(w.finishes_within(budget()));
            conformance::expect_value(w.take(), "wait with a past deadline");
        }
        send(q, msg(1));
        conformance::pending_operation<result<void>> w(broker().wait(q, f_.now() + ticks(3600)));
        REQUIRE(w.finishes_within(budget()));
        conformance::expect_value(w.take(), "wait");
        CHECK(read(q, 10, ticks(5)).size() == 1);
    }

    /// Contract 7: with nothing visible (an empty queue, or only a message leased for
    /// longer), a wait ends by its deadline. (It may end earlier: wake-ups may be spurious.)
    void wait_returns_by_deadline()
    {
        const auto q = queue("waitdeadline");
        {
            conformance::pending_operation<result<void>> w(broker().wait(q, f_.now() + ticks(5)));
            f_.advance(ticks(6));
            REQUIRE(w.finishes_within(budget()));
            conformance::expect_value(w.take(), "wait on an empty queue");
        }
        send(q, msg(1));
        REQUIRE(read(q, 10, ticks(60)).size() == 1);
        conformance::pending_operation<result<void>> w(broker().wait(q, f_.now() + ticks(5)));
        f_.advance(ticks(6));
        REQUIRE(w.finishes_within(budget()));
        conformance::expect_value(w.take(), "wait on a queue whose only message is leased");
        CHECK(read(q, 10, ticks(60)).empty());
    }

    /// Contract 7: a waiter wakes up long before its deadline when a message is sent, and
    /// when a delayed message comes due.
    void wait_wakes_on_send()
    {
        const auto q = queue("waitsend");
        {
            conformance::pending_operation<result<void>> w(broker().wait(q, f_.now() + ticks(3600)));
            send(q, msg(1));
            REQUIRE(w.finishes_within(budget()));
            conformance::expect_value(w.take(), "wait woken by a send");
        }
        const auto got = read(q, 10, ticks(60));
        REQUIRE(got.size() == 1);
        ack(q, {got[0].id});

        send(q, msg(2), ticks(5));
        conformance::pending_operation<result<void>> w(broker().wait(q, f_.now() + ticks(3600)));
        f_.advance(ticks(6));
        REQUIRE(w.finishes_within(budget()));
        conformance::expect_value(w.take(), "wait woken by a delayed message coming due");
        CHECK(conformance::steps_of(read(q, 10, ticks(60))) == std::vector<std::uint32_t>{2});
    }

private:
    template <class T>
    static T run(awaitable<result<T>> op, std::string_view what)
    {
        return conformance::run_op(std::move(op), what);
    }

    broker_type& broker() { return f_.broker(); }
    static duration ticks(int n) { return n * conformance::conformance_tick<F>(); }
    static std::chrono::steady_clock::duration budget() { return conformance::conformance_budget<F>(); }
    message msg(std::uint32_t n) const { return message{message_kind::step_ready, n, 1, tag_}; }

    queue_name queue(std::string_view base)
    {
        auto q = f_.queue(base);
        run(broker().ensure_queue(q), "ensure_queue");
        return q;
    }

    void send(queue_name q, message m, duration delay = duration::zero())
    {
        run(broker().send(q, m, delay), "send");
    }

    void send_batch(queue_name q, std::vector<message> ms, duration delay = duration::zero())
    {
        run(broker().send_batch(q, std::move(ms), delay), "send_batch");
    }

    std::vector<delivery> read(queue_name q, std::size_t max, duration lease)
    {
        return run(broker().read(q, max, lease), "read");
    }

    /// Reads until nothing is visible (a read may return fewer than `max`).
    std::vector<delivery> read_all(queue_name q, std::size_t max, duration lease)
    {
        std::vector<delivery> out;
        for (int reads = 0; reads < 1000; ++reads) {
            auto got = read(q, max, lease);
            if (got.empty())
                break;
            out.insert(out.end(), got.begin(), got.end());
        }
        return out;
    }

    std::vector<delivery> read_promptly(queue_name q)
    {
        conformance::pending_operation<result<std::vector<delivery>>> r(broker().read(q, 10, ticks(5)));
        REQUIRE(r.finishes_within(budget()));
        return conformance::expect_value(r.take(), "read");
    }

    void ack(queue_name q, std::vector<delivery_id> ids)
    {
        run(broker().ack(q, std::move(ids)), "ack");
    }

    void nack(queue_name q, delivery_id id, duration delay)
    {
        run(broker().nack(q, id, delay), "nack");
    }

    F& f_;
    task_id tag_; // names this run's messages, should a shared server hold others
};

} // namespace tasker::testing

/// Defines the broker conformance suite's test cases for `Fixture` (a `broker_fixture`;
/// see there), tagged `[conformance][broker]` plus `tags` (a string literal, may be
/// empty). Use it at namespace scope, once per fixture, followed by a semicolon; several
/// fixtures may share a binary. `Fixture` must be a plain or qualified name (use an alias
/// for a template-id): it becomes part of each test's name.
#define TASKER_BROKER_CONFORMANCE(Fixture, tags)                                                                       \
    static_assert(::tasker::testing::broker_fixture<Fixture>, #Fixture " is not a broker_fixture");                    \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, ensure_queue_is_idempotent, "ensure_queue is idempotent")                 \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, send_then_read, "a sent message is read once, with read_count 1")         \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, read_never_blocks, "read never blocks")                                   \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, oldest_first, "read returns the oldest messages first")                   \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, max_is_respected, "read returns at most max messages")                    \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, batches_lose_and_duplicate_nothing,                                       \
                              "a batch read in chunks loses and duplicates nothing")                                   \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, delayed_send, "a delayed send is invisible until its delay has passed")   \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, lease_expiry_redelivers,                                                  \
                              "an unacked message comes back after its lease, not before")                             \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, ack_removes_for_good, "ack removes for good and ignores unknown ids")     \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, nack_with_delay, "nack gives a message back after its delay")             \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, extend_lease_keeps_message,                                               \
                              "extend_lease keeps a message past its original lease")                                  \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, at_least_once_with_racing_readers,                                        \
                              "racing readers get every message at least once")                                        \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, wait_returns_when_visible,                                                \
                              "wait returns at once when a message is visible")                                        \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, wait_returns_by_deadline,                                                 \
                              "wait returns by its deadline when nothing is visible")                                  \
    TASKER_DETAIL_BROKER_CASE(Fixture, tags, wait_wakes_on_send, "wait wakes up when a message arrives")               \
    static_assert(true, "TASKER_BROKER_CONFORMANCE is followed by a semicolon")

/// One test case of the broker suite (for `TASKER_BROKER_CONFORMANCE`).
#define TASKER_DETAIL_BROKER_CASE(Fixture, tags, method, title)                                                        \
    TEST_CASE("broker conformance (" #Fixture "): " title, "[conformance][broker]" tags)                               \
    {                                                                                                                  \
        Fixture fixture;                                                                                               \
        ::tasker::testing::broker_conformance<Fixture>(fixture).method();                                              \
    }
