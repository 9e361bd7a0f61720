// A whole workflow on PostgreSQL: the engine's orchestrator and worker over
// tasker::postgres::store and tasker::pgmq::broker on one real database, running the diamond
// example to completion, as a deployment would (only the processes are threads here).
#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/store.hpp>
#include <tasker/store/timeline.hpp>
#include <tasker/testing/postgres.hpp>

#include "handlers/math_handlers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "support/await_value.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

using namespace tasker;
using namespace std::chrono_literals;

namespace {


/// One deployment's process: its own store, broker, orchestrator and worker on the shared
/// database, nothing shared in memory with another node.
struct node {
    postgres::store tasks;
    pgmq::broker messages;
    asio::io_context orchestrator_io;
    asio::io_context worker_io;
    orchestrator<postgres::store, pgmq::broker> orch;
    worker<postgres::store, pgmq::broker> work;
    std::atomic<int> failures{0};
    std::thread orchestrator_thread;
    std::thread worker_thread;

    node(const std::string& url, const handler_registry& handlers)
        : tasks({url, 4, 0}), messages({url, 4, pgmq::wake_mode::hybrid}),
          orch(orchestrator_io.get_executor(), tasks, messages, orchestrator_options()),
          work(worker_io.get_executor(), tasks, messages, handlers, worker_options())
    {
        const auto report = [this](std::exception_ptr e, result<void> r) {
            if (e || !r)
                ++failures;
        };
        asio::co_spawn(orchestrator_io, orch.run(), report);
        asio::co_spawn(worker_io, work.run(), report);
        orchestrator_thread = std::thread([this] { orchestrator_io.run(); });
        worker_thread = std::thread([this] { worker_io.run(); });
    }

    ~node() { stop(); }

    void stop()
    {
        if (!worker_thread.joinable())
            return;
        work.stop(1s);
        orch.stop();
        worker_thread.join();
        orchestrator_thread.join();
    }

    static orchestrator_config orchestrator_options()
    {
        orchestrator_config c;
        c.poll_interval = 200ms;
        return c;
    }

    static worker_config worker_options()
    {
        worker_config c;
        c.namespaces = {"examples"};
        c.concurrency = 4;
        c.lease = 10s;
        c.poll_interval = 200ms;
        return c;
    }
};

/// Runs `tasks` diamond tasks on `nodes` nodes and checks each ran every step once, correctly.
void run_diamonds(std::size_t nodes, int tasks)
{
    const auto db = testing::migrated_database();
    handler_registry handlers;
    examples::register_math_handlers(handlers);

    // Registered through one process, before any node starts (workers check their handlers).
    postgres::store admin({db.url(), 1, 0});
    client<postgres::store> front(admin);
    auto diamond = load_template_file(TASKER_EXAMPLES_DIR "/templates/diamond_workflow.yaml");
    REQUIRE(diamond);
    test::await_value(front.register_template(std::move(*diamond)));

    std::vector<std::unique_ptr<node>> cluster;
    for (std::size_t i = 0; i < nodes; ++i)
        cluster.push_back(std::make_unique<node>(db.url(), handlers));

    std::vector<std::pair<task_id, std::int64_t>> submitted;
    for (int i = 0; i < tasks; ++i) {
        const std::int64_t n = 2 * (i + 1);
        task_request r{{"examples", "diamond_workflow", std::nullopt}, json::object{{"even_number", n}}, {}, {}};
        submitted.emplace_back(test::await_value(front.submit(std::move(r))).id, n);
    }
    for (const auto& [id, n] : submitted) {
        const auto t = detail::run_blocking(front.wait_until_finished(id, std::chrono::system_clock::now() + 60s));
        REQUIRE(t);
        INFO(format_timeline(*t));
        CHECK(t->state == task_state::complete);
        const auto expected = examples::expected_math_results(*t->tmpl, n);
        for (const auto& s : t->steps) {
            INFO("step " << s.name);
            CHECK(s.state == step_state::complete);
            CHECK(s.attempts == 1);
            REQUIRE(s.result);
            CHECK(s.result->at("value").to_number<std::int64_t>() == expected.at(s.name));
            CHECK(std::count_if(t->step_transitions.begin(), t->step_transitions.end(), [&](const step_transition& h) {
                      return h.step == s.index && h.event == step_event::claim;
                  }) == 1);
        }
    }
    CHECK(test::await_value(admin.dead_letters(10)).empty());

    std::uint64_t succeeded = 0;
    for (auto& n : cluster) {
        n->stop();
        CHECK(n->failures == 0);
        succeeded += n->work.stats().succeeded;
    }
    CHECK(succeeded == 4 * submitted.size());
}

} // namespace

TEST_CASE("postgres + pgmq: the diamond example runs to completion", "[postgres][end_to_end]")
{
    run_diamonds(1, 4);
}

TEST_CASE("postgres + pgmq: diamonds run once each on two nodes sharing the database", "[postgres][end_to_end]")
{
    run_diamonds(2, 24);
}
