// tasker::pgmq against a real PostgreSQL: the broker conformance suite, LISTEN/NOTIFY
// wake-ups, and the name checks that come before any SQL.
#include <tasker/pgmq/broker.hpp>
#include <tasker/testing/broker_conformance.hpp>
#include <tasker/testing/postgres.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "support/catch.hpp"

#include <pqxx/pqxx>

#include <atomic>
#include <random>
#include <thread>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

static_assert(message_broker<pgmq::broker>);

/// One migrated database for the whole run: fixtures share it and keep apart by queue name.
const std::string& shared_database_url()
{
    static const testing::postgres_database db = testing::migrated_database();
    return db.url();
}

template <pgmq::wake_mode Mode>
struct pgmq_fixture {
    static constexpr duration tick = 1s; // pgmq counts whole seconds
    pgmq::broker impl{{shared_database_url(), 4, Mode}};
    std::string suffix = [] {
        static std::atomic<int> next{0};
        return std::to_string(next++);
    }();

    pgmq::broker& broker() { return impl; }
    queue_name queue(std::string_view base)
    {
        static const auto run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000);
        return queue_name::make(std::string(base) + "_" + run + "_" + suffix).value();
    }
    time_point now() const { return std::chrono::system_clock::now(); }
    void advance(duration d) { std::this_thread::sleep_for(d); } // a real server keeps real time
};

using pgmq_hybrid = pgmq_fixture<pgmq::wake_mode::hybrid>;
using pgmq_polling = pgmq_fixture<pgmq::wake_mode::polling>;

} // namespace

TASKER_BROKER_CONFORMANCE(pgmq_hybrid, "[postgres][pgmq]");
TASKER_BROKER_CONFORMANCE(pgmq_polling, "[postgres][pgmq]");

TEST_CASE("pgmq: a waiter wakes on NOTIFY, long before its deadline", "[postgres][pgmq]")
{
    pgmq::broker b({shared_database_url(), 2, pgmq::wake_mode::event_driven});
    const auto q = queue_name::make("notify_" + std::to_string(std::random_device{}() % 100000)).value();
    REQUIRE(detail::run_blocking(b.ensure_queue(q)));
    asio::io_context io;
    std::atomic<bool> woke{false};
    const auto started = std::chrono::steady_clock::now();
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
            // Event-driven: nothing but a NOTIFY (or this deadline) ends the wait.
            auto r = co_await b.wait(q, std::chrono::system_clock::now() + 60s);
            CHECK(r);
            woke = true;
        },
        asio::detached);
    std::thread waiter([&] { io.run(); });
    // From another broker, as another process would.
    pgmq::broker sender({shared_database_url(), 1, pgmq::wake_mode::polling});
    REQUIRE(detail::run_blocking(sender.send(q, message{message_kind::step_ready, 1, 1, task_id{}}, {})));
    waiter.join();
    CHECK(woke);
    CHECK(std::chrono::steady_clock::now() - started < 30s);
}

TEST_CASE("pgmq: hostile queue names never reach SQL", "[postgres][pgmq]")
{
    for (const char* bad : {"q'; drop table x; --", "a--b", "it's", "Upper", "has space"})
        CHECK_FALSE(queue_name::make(bad));
    CHECK_FALSE(queue_name::make(std::string(49, 'a')));
}

TEST_CASE("pgmq: an unreachable server is a transient error naming the server, never the password", "[postgres][pgmq]")
{
    // Port 1 on loopback: nothing listens there.
    pgmq::broker b({"postgresql://tasker:s3cret@127.0.0.1:1/tasker", 1, pgmq::wake_mode::polling});
    const auto q = queue_name::make("unreachable").value();
    auto r = detail::run_blocking(b.ensure_queue(q));
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::backend_unavailable);
    CHECK(is_transient(r.error()));
    CHECK(r.error().message.find("127.0.0.1") != std::string::npos);
    CHECK(r.error().message.find("s3cret") == std::string::npos);
    // Every operation fails the same way, and nothing crashes.
    CHECK(detail::run_blocking(b.read(q, 10, 5s)).error() == errc::backend_unavailable);
    CHECK(detail::run_blocking(b.send(q, message{message_kind::step_ready, 1, 1, task_id{}}, {})).error() ==
          errc::backend_unavailable);
}

TEST_CASE("pgmq: queues with the longest names, alike but for their last character, stay apart", "[postgres][pgmq]")
{
    // The server cuts prepared statement names at 63 bytes: statements named after such queues
    // must still differ. One thread, so both queues' statements meet on one connection.
    pgmq::broker b({shared_database_url(), 1, pgmq::wake_mode::polling});
    const std::string stem = "long_" + std::to_string(std::random_device{}() % 100000) + "_";
    const auto a = queue_name::make(stem + std::string(queue_name::max_length - stem.size() - 1, 'x') + "a").value();
    const auto z = queue_name::make(stem + std::string(queue_name::max_length - stem.size() - 1, 'x') + "z").value();
    for (const auto& q : {a, z}) {
        REQUIRE(detail::run_blocking(b.ensure_queue(q)));
        REQUIRE(detail::run_blocking(b.send(q, message{message_kind::step_ready, q == a ? 1u : 2u, 1, task_id{}}, {})));
    }
    for (const auto& q : {a, z}) {
        auto wait = detail::run_blocking(b.wait(q, std::chrono::system_clock::now() + 1s));
        REQUIRE(wait);
        auto read = detail::run_blocking(b.read(q, 10, 5s));
        REQUIRE(read);
        REQUIRE(read->size() == 1);
        CHECK(read->front().msg.step == (q == a ? 1u : 2u));
        REQUIRE(detail::run_blocking(b.ack(q, {read->front().id})));
    }
}

TEST_CASE("pgmq: a message that is not tasker's is archived, and the queue goes on", "[postgres][pgmq]")
{
    // Anything may pgmq.send into a queue. A read that failed on such a message would fail
    // again at every look and stop the queue: it is moved to the archive instead.
    pgmq::broker b({shared_database_url(), 1, pgmq::wake_mode::polling});
    const auto q = queue_name::make("foreign_" + std::to_string(std::random_device{}() % 100000)).value();
    REQUIRE(detail::run_blocking(b.ensure_queue(q)));
    pqxx::connection c(shared_database_url());
    pqxx::nontransaction sql(c);
    sql.exec_params("SELECT pgmq.send($1, $2::jsonb)", q.str(), R"({"hello": "world"})");
    REQUIRE(detail::run_blocking(b.send(q, message{message_kind::step_ready, 7, 1, task_id{}}, {})));

    auto read = detail::run_blocking(b.read(q, 10, 30s));
    REQUIRE(read);
    REQUIRE(read->size() == 1);
    CHECK(read->front().msg.step == 7u);
    const auto count = [&](const std::string& table, const std::string& where) {
        return sql.exec("SELECT count(*) FROM pgmq." + sql.quote_name(table) + " WHERE " + where)[0][0].as<int>();
    };
    CHECK(count("a_" + q.str(), "message = '{\"hello\": \"world\"}'::jsonb") == 1);
    CHECK(count("q_" + q.str(), "true") == 1); // only ours, leased
    REQUIRE(detail::run_blocking(b.ack(q, {read->front().id})));
    CHECK(count("q_" + q.str(), "true") == 0);
}
