// diamond-N on PostgreSQL + PGMQ: one orchestrator and one worker (threads here, processes
// in a deployment) over tasker::postgres::store and tasker::pgmq::broker on a real server.
// Reports steps/s for a burst of tasks and per-hop latency (from the stored history) with
// one task at a time. Creates, migrates and drops its own database on the server named by
// --url or TASKER_DATABASE_URL, and prints the server settings it ran with.
#include "diamond_shape.hpp"
#include "scratch_database.hpp"

#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/store.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

using namespace tasker;
using steady = std::chrono::steady_clock;

namespace {

struct settings {
    std::string url;
    int tasks = 1000;
    int width = 8;
    int latency_tasks = 100;
    std::size_t concurrency = 16;
    std::size_t batch = 64;
    bool synchronous_commit = true;
};

/// One orchestrator and one worker, each on its own thread and io_context.
struct node {
    postgres::store tasks;
    pgmq::broker messages;
    asio::io_context orchestrator_io;
    asio::io_context worker_io;
    orchestrator<postgres::store, pgmq::broker> orch;
    worker<postgres::store, pgmq::broker> work;
    std::thread orchestrator_thread;
    std::thread worker_thread;

    node(const std::string& url, const handler_registry& handlers, const settings& s)
        : tasks({url, 4, 0}), messages({url, 4, pgmq::wake_mode::hybrid}),
          orch(orchestrator_io.get_executor(), tasks, messages, orchestrator_options(s)),
          work(worker_io.get_executor(), tasks, messages, handlers, worker_options(s))
    {
        asio::co_spawn(orchestrator_io, orch.run(), asio::detached);
        asio::co_spawn(worker_io, work.run(), asio::detached);
        orchestrator_thread = std::thread([this] { orchestrator_io.run(); });
        worker_thread = std::thread([this] { worker_io.run(); });
    }

    ~node()
    {
        work.stop(std::chrono::seconds(1));
        orch.stop();
        worker_thread.join();
        orchestrator_thread.join();
    }

    static orchestrator_config orchestrator_options(const settings& s)
    {
        orchestrator_config c;
        c.batch_size = s.batch;
        return c;
    }

    static worker_config worker_options(const settings& s)
    {
        worker_config c;
        c.namespaces = {"bench"};
        c.concurrency = s.concurrency;
        c.batch_size = s.batch;
        c.execution = handler_execution::inline_on_worker; // handlers do nothing: measure tasker
        return c;
    }
};

std::vector<task_id> submit(client<postgres::store>& front, int count, const std::string& name)
{
    std::vector<task_id> ids;
    ids.reserve(count);
    for (int i = 0; i < count; ++i) {
        task_request r{{"bench", name, std::nullopt}, json::object{}, {}, {}};
        ids.push_back(detail::run_blocking(front.submit(std::move(r))).value().id);
    }
    return ids;
}

task_view finish(client<postgres::store>& front, const task_id& id)
{
    auto t = detail::run_blocking(front.wait_until_finished(id, std::chrono::system_clock::now() + std::chrono::minutes(5)))
                 .value();
    if (t.state != task_state::complete)
        throw std::runtime_error("a benchmark task ended " + std::string(to_string(t.state)));
    return t;
}

} // namespace

int main(int argc, char** argv)
{
    settings s;
    if (const char* env = std::getenv("TASKER_DATABASE_URL"))
        s.url = env;
    CLI::App app{"diamond-N on PostgreSQL + PGMQ: steps/s and per-hop latency"};
    app.add_option("--url", s.url, "maintenance database URL (default: TASKER_DATABASE_URL)");
    app.add_option("--tasks", s.tasks, "tasks submitted at once in the throughput run")->capture_default_str();
    app.add_option("--width", s.width, "parallel middle steps of the diamond (N)")->capture_default_str();
    app.add_option("--latency-tasks", s.latency_tasks, "tasks run one at a time (0: skip)")->capture_default_str();
    app.add_option("--concurrency", s.concurrency, "steps a worker runs at once")->capture_default_str();
    app.add_option("--batch", s.batch, "messages per read for orchestrator and worker")->capture_default_str();
    app.add_flag("!--async-commit", s.synchronous_commit, "run with synchronous_commit = off");
    CLI11_PARSE(app, argc, argv);
    if (s.url.empty()) {
        std::cerr << "give --url or set TASKER_DATABASE_URL\n";
        return 1;
    }

    const bench::scratch_database db(s.url, s.synchronous_commit);
    const auto& url = db.url();
    {
        handler_registry handlers;
        handlers.add("bench.noop", [](step_context&) { return success(); });
        postgres::store admin({url, 2, 0});
        client<postgres::store> front(admin);
        const auto tmpl = bench::diamond_template(s.width);
        detail::run_blocking(front.register_template(tmpl)).value();
        node n(url, handlers, s);
        const auto steps_per_task = static_cast<double>(s.width + 2);

        const auto start = steady::now();
        const auto ids = submit(front, s.tasks, tmpl.name);
        for (const auto& id : ids)
            finish(front, id);
        const double seconds = std::chrono::duration<double>(steady::now() - start).count();
        std::cout << "diamond-" << s.width << ": " << s.tasks << " tasks (" << s.tasks * (s.width + 2)
                  << " steps) submitted at once, worker concurrency " << s.concurrency << ", batch " << s.batch << "\n";
        std::cout << "throughput: " << static_cast<long>(s.tasks * steps_per_task / seconds) << " steps/s ("
                  << seconds << " s, submission included)\n";

        if (s.latency_tasks > 0) {
            bench::hop_samples hops;
            for (int i = 0; i < s.latency_tasks; ++i)
                hops.add(finish(front, submit(front, 1, tmpl.name)[0]));
            std::cout << "one task at a time: " << bench::describe(hops) << "\n";
        }
    }
    return 0;
}
