// diamond-N on PostgreSQL with PGMQ or RabbitMQ: one orchestrator and one worker (threads
// here, processes in a deployment) in a postgres::runtime on real servers.
// Reports steps/s for a burst of tasks and per-hop latency (from the stored history) with
// one task at a time. Creates, migrates and drops its own database on the server named by
// --url or TASKER_DATABASE_URL, and prints the server settings it ran with.
#include "postgres_runs.hpp"
#include "scratch_database.hpp"

#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/runtime.hpp>
#include <tasker/rabbitmq/broker.hpp>

#include <CLI/CLI.hpp>

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
    int submit_batch = 1;
    bool synchronous_commit = true;
    std::string broker = "pgmq";
    std::string handlers = "inline";
    bool pack_worker_queue = false;
    std::string amqp_url;
};

postgres::runtime_options bench_options(const std::string& url, const settings& s)
{
    postgres::runtime_options o{.url = url};
    o.orchestrator.batch_size = s.batch;
    o.worker.namespaces = {"bench"};
    o.worker.concurrency = s.concurrency;
    o.worker.batch_size = s.batch;
    // Handlers do nothing: by default they run inline, to measure tasker; `--handlers pool`
    // runs them on the worker's thread pool, as a worker does by default.
    o.worker.execution = s.handlers == "pool" ? handler_execution::thread_pool : handler_execution::inline_on_worker;
    o.relay.batch_size = 4 * s.batch;
    return o;
}

/// RabbitMQ's packed queues: the orchestration queue (the broker's default), and with
/// `--pack-worker-queue` the worker queue too.
std::vector<queue_name> packed_queues(const settings& s)
{
    std::vector<queue_name> out{orchestration_queue()};
    if (s.pack_worker_queue)
        out.push_back(worker_queue("bench").value());
    return out;
}

/// One process: orchestrator, worker (and the outbox relay for brokers other than PGMQ).
template <class B, class BrokerConfig>
void run(const std::string& url, const settings& s, const BrokerConfig& broker)
{
    postgres::runtime<B> rt(bench_options(url, s), broker);
    rt.handlers().add("bench.noop", [](step_context&) { return success(); });
    const auto tmpl = bench::diamond_template(s.width);
    rt.register_template(tmpl).value();
    rt.start().value();
    const auto f = bench::burst(rt, tmpl, s.tasks, s.submit_batch);
    std::cout << "diamond-" << s.width << " on " << s.broker << ": " << s.tasks << " tasks (" << s.tasks * (s.width + 2)
              << " steps) submitted at once, worker concurrency " << s.concurrency << ", batch " << s.batch
              << ", handlers " << s.handlers << (s.pack_worker_queue ? ", worker queue packed" : "") << "\n";
    std::cout << "throughput: " << static_cast<long>(f.steps_per_second) << " steps/s (" << f.seconds
              << " s, submission included; submitting "
              << (s.submit_batch > 1 ? "in batches of " + std::to_string(s.submit_batch) : std::string("one by one"))
              << " took " << f.submitting << " s)\n";
    if (s.latency_tasks > 0)
        std::cout << "one task at a time: " << bench::describe(bench::one_at_a_time(rt, tmpl, s.latency_tasks)) << "\n";
    rt.stop(std::chrono::seconds(1));
}

} // namespace

int main(int argc, char** argv)
{
    settings s;
    if (const char* env = std::getenv("TASKER_DATABASE_URL"))
        s.url = env;
    if (const char* env = std::getenv("TASKER_RABBITMQ_URL"))
        s.amqp_url = env;
    CLI::App app{"diamond-N on PostgreSQL with PGMQ or RabbitMQ: steps/s and per-hop latency"};
    app.add_option("--url", s.url, "maintenance database URL (default: TASKER_DATABASE_URL)");
    app.add_option("--tasks", s.tasks, "tasks submitted at once in the throughput run")->capture_default_str();
    app.add_option("--width", s.width, "parallel middle steps of the diamond (N)")->capture_default_str();
    app.add_option("--latency-tasks", s.latency_tasks, "tasks run one at a time (0: skip)")->capture_default_str();
    app.add_option("--concurrency", s.concurrency, "steps a worker runs at once")->capture_default_str();
    app.add_option("--batch", s.batch, "messages per read for orchestrator and worker")->capture_default_str();
    app.add_option("--submit-batch", s.submit_batch, "tasks per submit_batch call in the burst (1: submit one by one)")
        ->capture_default_str();
    app.add_flag("!--async-commit", s.synchronous_commit, "run with synchronous_commit = off");
    app.add_option("--handlers", s.handlers, "where handlers run: inline on the worker, or its thread pool")
        ->check(CLI::IsMember({"inline", "pool"}))
        ->capture_default_str();
    app.add_flag("--pack-worker-queue", s.pack_worker_queue,
                 "with --broker rabbitmq: the worker queue's messages travel packed too (docs/rabbitmq.md)");
    app.add_option("--broker", s.broker, "message broker")->check(CLI::IsMember({"pgmq", "rabbitmq"}))->capture_default_str();
    app.add_option("--amqp-url", s.amqp_url, "RabbitMQ URL for --broker rabbitmq (default: TASKER_RABBITMQ_URL)");
    CLI11_PARSE(app, argc, argv);
    if (s.url.empty()) {
        std::cerr << "give --url or set TASKER_DATABASE_URL\n";
        return 1;
    }

    const bench::scratch_database db(s.url, s.synchronous_commit);
    if (s.broker == "rabbitmq") {
        if (s.amqp_url.empty()) {
            std::cerr << "give --amqp-url or set TASKER_RABBITMQ_URL\n";
            return 1;
        }
        run<rabbitmq::broker>(db.url(), s,
                              rabbitmq::broker_config{.url = s.amqp_url, .prefix = "bench.",
                                                      .prefetch = static_cast<std::uint16_t>(std::min<std::size_t>(2 * s.batch, 65535)),
                                                      .packed_queues = packed_queues(s)});
    } else {
        run<pgmq::broker>(db.url(), s, pgmq::broker_config{.url = db.url()});
    }
    return 0;
}
