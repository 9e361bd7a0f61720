// RabbitMQ restarted while workflows run (PostgreSQL keeps the state): the broker reconnects,
// consumers resume, the relay republishes what it could not, and every task finishes with
// every step run exactly once. Needs TASKER_RABBITMQ_CTL (script/test's server control).
#include <tasker/postgres/runtime.hpp>
#include <tasker/rabbitmq/broker.hpp>
#include <tasker/store/timeline.hpp>
#include <tasker/testing/postgres.hpp>
#include <tasker/testing/rabbitmq.hpp>

#include "handlers/math_handlers.hpp"

#include "support/catch.hpp"

#include <atomic>
#include <cstdlib>
#include <thread>

using namespace tasker;
using namespace std::chrono_literals;

TEST_CASE("rabbitmq restarted mid-run: every task finishes, no step runs twice", "[rabbitmq][restart]")
{
    const char* ctl = std::getenv("TASKER_RABBITMQ_CTL");
    if (!ctl || !*ctl)
        FAIL("TASKER_RABBITMQ_CTL is not set: this test restarts the RabbitMQ server, so it needs the one "
             "script/test starts (script/lib/rabbitmq.sh), not an external TASKER_RABBITMQ_URL");
    const auto db = testing::migrated_database();
    testing::rabbitmq_fixture server;
    postgres::runtime_options o{.url = db.url(), .store_threads = 2};
    o.worker.concurrency = 8;
    o.worker.lease = 10s;
    postgres::runtime<rabbitmq::broker> rt(o, rabbitmq::broker_config{.url = server.url, .prefix = server.prefix});
    examples::register_math_handlers(rt.handlers());
    REQUIRE(rt.load_template_file(TASKER_EXAMPLES_DIR "/templates/diamond_workflow.yaml"));
    REQUIRE(rt.start());

    std::vector<std::pair<task_id, std::int64_t>> submitted;
    auto submit = [&](int count) {
        for (int i = 0; i < count; ++i) {
            const std::int64_t n = 2 * static_cast<std::int64_t>(submitted.size() + 1);
            auto created = rt.submit({{"examples", "diamond_workflow", std::nullopt}, json::object{{"even_number", n}}, {}, {}});
            REQUIRE(created);
            submitted.emplace_back(created->id, n);
        }
    };
    submit(20);
    REQUIRE(rt.wait(submitted.front().first, 60s)); // work is flowing
    // Tasks keep coming while the broker goes down and up (a few seconds): steps in flight
    // lose their deliveries, and new ones wait in the outbox until it is back.
    std::atomic<bool> restarted{false};
    std::atomic<int> restart_status{-1};
    std::thread restarter([&] {
        restart_status = std::system((std::string(ctl) + " restart >/dev/null").c_str());
        restarted = true;
    });
    while (!restarted && submitted.size() < 400) {
        submit(1);
        std::this_thread::sleep_for(20ms); // a steady trickle, not a synchronisation
    }
    restarter.join();
    REQUIRE(restart_status == 0);
    submit(20);
    INFO(submitted.size() << " tasks");

    for (const auto& [id, n] : submitted) {
        auto t = rt.wait(id, 120s);
        REQUIRE(t);
        INFO(format_timeline(*t));
        CHECK(t->state == task_state::complete);
        const auto expected = examples::expected_math_results(*t->tmpl, n);
        for (const auto& s : t->steps) {
            CHECK(s.attempts == 1);
            REQUIRE(s.result);
            CHECK(s.result->at("value").to_number<std::int64_t>() == expected.at(s.name));
        }
    }
    rt.stop(1s);
    CHECK(rt.worker_stats().succeeded == 4 * submitted.size());
}
