// The transactional outbox on a real PostgreSQL: a store with the outbox route commits its
// messages as rows; a relay publishes them (here into the testing kit's fake broker) and
// deletes a row only after the broker took it; a relay dying in between loses nothing.
#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/postgres/outbox.hpp>
#include <tasker/postgres/outbox_relay.hpp>
#include <tasker/postgres/store.hpp>
#include <tasker/testing/fake_broker.hpp>
#include <tasker/testing/postgres.hpp>

#include <pqxx/pqxx>

#include "support/await_value.hpp"
#include "support/catch.hpp"

#include <set>
#include <thread>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

long long count_rows(const std::string& url, const std::string& sql)
{
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<long long>();
}

/// A store writing to the outbox, with the diamond template registered.
struct outbox_deployment {
    testing::postgres_database db = testing::migrated_database();
    postgres::store tasks{{.url = db.url(), .threads = 2, .route = postgres::message_route::outbox}};
    client<postgres::store> front{tasks};

    outbox_deployment()
    {
        auto diamond = load_template_file(TASKER_EXAMPLES_DIR "/templates/diamond_workflow.yaml");
        REQUIRE(diamond);
        test::await_value(front.register_template(std::move(*diamond)));
    }

    task_id submit(std::int64_t n)
    {
        task_request r{{"examples", "diamond_workflow", std::nullopt}, json::object{{"even_number", n}}, {}, {}};
        return test::await_value(front.submit(std::move(r))).id;
    }
};

/// Polls `done` (a database count, so no notification to wait on) until true or 20 s pass.
template <class F>
bool eventually(F done)
{
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

} // namespace

TEST_CASE("outbox: a store on the outbox route commits its messages as outbox rows", "[postgres][outbox]")
{
    outbox_deployment d;
    d.submit(2);
    d.submit(4);
    // One root step message per task, in the outbox; pgmq got no queue at all.
    CHECK(count_rows(d.db.url(), "SELECT count(*) FROM tasker.outbox WHERE queue = 'worker_examples'") == 2);
    CHECK(count_rows(d.db.url(), "SELECT count(*) FROM tasker.outbox WHERE claimed_until IS NOT NULL") == 0);
    CHECK(count_rows(d.db.url(), "SELECT count(*) FROM pgmq.meta") == 0);
}

TEST_CASE("outbox: the relay publishes every row in commit order, then deletes it", "[postgres][outbox]")
{
    outbox_deployment d;
    testing::fake_broker broker;
    postgres::outbox_relay relay({.url = d.db.url()}, broker);
    relay.start();
    std::vector<task_id> ids;
    for (int i = 0; i < 20; ++i)
        ids.push_back(d.submit(2 * (i + 1)));
    REQUIRE(eventually([&] { return relay.stats().published == 20; }));
    REQUIRE(eventually([&] { return count_rows(d.db.url(), "SELECT count(*) FROM tasker.outbox") == 0; }));
    relay.stop();
    const auto sent = broker.log();
    std::vector<task_id> order;
    for (const auto& t : sent)
        if (t.what == testing::traffic::event::sent)
            order.push_back(t.msg.task);
    CHECK(order == ids);
}

TEST_CASE("outbox: a publish that fails leaves the rows, and the relay publishes them again", "[postgres][outbox]")
{
    outbox_deployment d;
    testing::fake_broker broker;
    broker.script({.kind = testing::fault::send_failure, .times = 2});
    postgres::outbox_relay relay({.url = d.db.url()}, broker);
    d.submit(2);
    relay.start();
    REQUIRE(eventually([&] { return relay.stats().published == 1; }));
    REQUIRE(eventually([&] { return count_rows(d.db.url(), "SELECT count(*) FROM tasker.outbox") == 0; }));
    relay.stop();
    CHECK(relay.stats().failed == 2);
    CHECK(broker.injected(testing::fault::send_failure) == 2);
    const auto log = broker.log();
    CHECK(std::count_if(log.begin(), log.end(), [](const testing::traffic& t) {
              return t.what == testing::traffic::event::sent && !t.hit;
          }) == 1); // the third try went through
}

TEST_CASE("outbox: a relay dying between publish and delete loses nothing", "[postgres][outbox]")
{
    outbox_deployment d;
    testing::fake_broker broker;
    for (int i = 0; i < 5; ++i)
        d.submit(2 * (i + 1));
    std::set<task_id> claimed;
    {
        // The doomed relay: claims for a second, publishes, and dies before deleting.
        postgres::outbox doomed(d.db.url());
        auto batch = doomed.claim(3, 1s);
        REQUIRE(batch);
        REQUIRE(batch->size() == 3);
        for (const auto& e : *batch) {
            REQUIRE(detail::run_blocking(broker.send(e.queue, e.msg, e.delay)));
            claimed.insert(e.msg.task);
        }
    }
    postgres::outbox_relay relay({.url = d.db.url(), .poll_interval = 100ms}, broker);
    relay.start();
    // The two unclaimed rows go at once; the three claimed ones once their claim runs out.
    REQUIRE(eventually([&] { return count_rows(d.db.url(), "SELECT count(*) FROM tasker.outbox") == 0; }));
    relay.stop();
    CHECK(relay.stats().published == 5);
    std::map<task_id, int> times;
    for (const auto& t : broker.log())
        if (t.what == testing::traffic::event::sent)
            ++times[t.msg.task];
    CHECK(times.size() == 5); // every task's message arrived
    for (const auto& [task, n] : times)
        CHECK(n == (claimed.contains(task) ? 2 : 1)); // the dead relay's ones twice: harmless
}

TEST_CASE("outbox: waiting without a database still waits (a relay backing off never spins)", "[postgres][outbox]")
{
    postgres::outbox box("postgresql://tasker@127.0.0.1:1/nowhere?connect_timeout=2");
    const auto started = std::chrono::steady_clock::now();
    auto waited = box.wait(300ms);
    REQUIRE_FALSE(waited);
    CHECK(waited.error().code == errc::backend_unavailable);
    CHECK(std::chrono::steady_clock::now() - started >= 300ms);
    // interrupt() still ends it early
    box.interrupt();
    const auto again = std::chrono::steady_clock::now();
    (void)box.wait(10s);
    CHECK(std::chrono::steady_clock::now() - again < 5s);
}
