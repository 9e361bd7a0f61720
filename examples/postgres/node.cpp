// tasker-node: one process of a tasker cluster on PostgreSQL, with PGMQ or RabbitMQ carrying
// the messages (--broker; the engine sees one `any_broker` either way). Run an orchestrator
// and any number of workers, on any machines, against one database, then submit tasks:
//
//     tasker-node --url $URL --migrate
//     tasker-node --url $URL --role orchestrator &
//     tasker-node --url $URL --role worker &
//     tasker-node --url $URL --role worker &
//     tasker-node --url $URL --submit diamond_workflow --count 100 --wait --verify
//
// Every process registers the example templates (registration is idempotent) and the
// example handlers. Orchestrators and workers run until SIGINT or SIGTERM, then finish
// their in-flight steps within the grace period and exit. The fault injection options
// and --verify serve the cluster tests (cluster_test.sh, restart_test.sh).
#include "fault_injection.hpp"
#include "handlers/math_handlers.hpp"
#include "handlers/order_handlers.hpp"
#include "verify.hpp"

#include <tasker/clock.hpp>
#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/shutdown_signals.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/messaging/any_broker.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/migrations.hpp>
#include <tasker/postgres/outbox_relay.hpp>
#include <tasker/postgres/store.hpp>
#include <tasker/rabbitmq/broker.hpp>
#include <tasker/spdlog_logger.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h> // getpid

using namespace tasker;

namespace {

constexpr const char* example_templates[] = {"linear_workflow", "diamond_workflow", "diamond_workflow_with_retries",
                                             "tree_workflow", "mixed_dag_workflow", "order_fulfillment"};

struct options {
    std::string url;
    bool migrate = false;
    std::string broker = "pgmq";
    std::string amqp_url;
    // a cluster process
    std::string role;
    std::size_t concurrency = 8;
    int lease_seconds = 30;
    int grace_seconds = 30;
    // a client
    std::string submit;
    int count = 1;
    bool wait = false;
    bool verify = false;
    // tests
    double fail_rate = 0;
    std::uint64_t seed = 1;
    int step_delay_ms = 0;
};

int serve(const options& o, postgres::store& store, any_broker& broker, const handler_registry& handlers)
{
    asio::io_context io;
    const auto log = make_spdlog_logger();
    // With RabbitMQ the store's messages wait in the outbox table: every serving process
    // relays them (relays share the table safely).
    std::optional<postgres::outbox_relay<any_broker>> relay;
    if (store.config().route == postgres::message_route::outbox) {
        relay.emplace(postgres::outbox_relay_config{.url = o.url, .log = log}, broker);
        relay->start();
    }
    std::optional<orchestrator<postgres::store, any_broker>> orch;
    std::optional<worker<postgres::store, any_broker>> work;
    if (o.role == "orchestrator") {
        orchestrator_config c;
        c.name = "orchestrator-" + std::to_string(::getpid());
        c.lease = std::chrono::seconds(o.lease_seconds);
        c.log = log;
        orch.emplace(io.get_executor(), store, broker, c);
    } else {
        worker_config c;
        c.name = "worker-" + std::to_string(::getpid());
        c.namespaces = {"examples"};
        c.concurrency = o.concurrency;
        c.lease = std::chrono::seconds(o.lease_seconds);
        c.log = log;
        work.emplace(io.get_executor(), store, broker, handlers, c);
    }
    int status = 0;
    std::optional<shutdown_signals> signals;
    signals.emplace(io.get_executor(), [&](int) {
        if (work)
            work->stop(std::chrono::seconds(o.grace_seconds));
        if (orch)
            orch->stop();
    });
    const auto finished = [&](std::exception_ptr e, result<void> r) {
        if (e || !r) {
            std::cerr << "tasker-node: " << (r ? "stopped by an exception" : r.error().what()) << "\n";
            status = 1;
        }
        signals.reset(); // no more signals to wait for: io.run() returns
    };
    if (orch)
        asio::co_spawn(io, orch->run(), finished);
    else
        asio::co_spawn(io, work->run(), finished);
    std::cout << "tasker-node: " << o.role << " running on " << o.broker << " (pid " << ::getpid() << ")" << std::endl;
    io.run();
    if (relay)
        relay->stop(); // after the engine: what it committed last is published first
    return status;
}

/// Waits until task `id` ends; a database that is restarting meanwhile is waited for too.
result<task_view> wait_for(client<postgres::store>& front, task_id id, time_point deadline)
{
    while (true) {
        auto t = detail::run_blocking(front.wait_until_finished(id, deadline));
        if (t || !is_transient(t.error()) || real_clock{}.now() >= deadline)
            return t;
        std::cerr << "tasker-node: " << t.error().what() << "; waiting\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

int submit(const options& o, postgres::store& store)
{
    client<postgres::store> front(store);
    std::vector<task_id> ids;
    for (int i = 0; i < o.count; ++i) {
        json::value context = o.submit == "order_fulfillment" ? examples::sample_order()
                                                              : json::value(json::object{{"even_number", 2 * (i + 1)}});
        auto created = detail::run_blocking(front.submit({{"examples", o.submit, std::nullopt}, std::move(context), {}, {}}));
        if (!created) {
            std::cerr << "tasker-node: " << created.error() << "\n";
            return 1;
        }
        ids.push_back(created->id);
    }
    std::cout << "submitted " << ids.size() << " " << o.submit << " tasks" << std::endl;
    if (!o.wait)
        return 0;
    const auto deadline = real_clock{}.now() + std::chrono::minutes(5);
    int not_complete = 0;
    for (const auto& id : ids) {
        auto t = wait_for(front, id, deadline);
        if (!t) {
            std::cerr << "tasker-node: " << t.error() << "\n";
            return 1;
        }
        if (t->state != task_state::complete) {
            ++not_complete;
            std::cerr << "task " << id << " ended " << t->state << "\n";
        }
    }
    std::cout << ids.size() - not_complete << " of " << ids.size() << " tasks complete" << std::endl;
    return not_complete == 0 ? 0 : 1;
}

int verify(const options& o)
{
    auto v = examples::verify_database(o.url);
    if (!v) {
        std::cerr << "tasker-node: " << v.error() << "\n";
        return 1;
    }
    std::cout << "verified: " << v->summary() << std::endl;
    for (const auto& problem : v->violations)
        std::cerr << "  " << problem << "\n";
    if (v->violations.size() < v->violation_count)
        std::cerr << "  ... and " << v->violation_count - v->violations.size() << " more\n";
    return v->ok() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    if (const char* env = std::getenv("TASKER_DATABASE_URL"))
        o.url = env;
    if (const char* env = std::getenv("TASKER_RABBITMQ_URL"))
        o.amqp_url = env;
    CLI::App app{"One process of a tasker cluster on PostgreSQL, with PGMQ or RabbitMQ"};
    app.add_option("--url", o.url, "database URL (default: TASKER_DATABASE_URL)");
    app.add_flag("--migrate", o.migrate, "apply pending migrations first");
    app.add_option("--broker", o.broker, "what carries the messages (every process of a cluster must agree)")
        ->check(CLI::IsMember({"pgmq", "rabbitmq"}))->capture_default_str();
    app.add_option("--amqp-url", o.amqp_url, "RabbitMQ URL for --broker rabbitmq (default: TASKER_RABBITMQ_URL)");

    const char* serving_group = "Run an orchestrator or a worker";
    app.add_option("--role", o.role, "run as this until SIGINT/SIGTERM")
        ->check(CLI::IsMember({"orchestrator", "worker"}))->group(serving_group);
    app.add_option("--concurrency", o.concurrency, "steps a worker runs at once")->capture_default_str()->group(serving_group);
    app.add_option("--lease", o.lease_seconds,
                   "seconds a worker's claimed step (an orchestrator's read results) stays its own without a "
                   "heartbeat: what a crashed process held is taken over this much later")
        ->capture_default_str()->check(CLI::PositiveNumber)->group(serving_group);
    app.add_option("--grace", o.grace_seconds, "seconds in-flight steps get to finish on shutdown")
        ->capture_default_str()->group(serving_group);

    const char* client_group = "Submit and check tasks";
    app.add_option("--submit", o.submit, "submit tasks of this example template")
        ->check(CLI::IsMember(std::vector<std::string>(std::begin(example_templates), std::end(example_templates))))
        ->group(client_group);
    app.add_option("--count", o.count, "how many tasks to submit")->capture_default_str()->group(client_group);
    app.add_flag("--wait", o.wait, "wait until the submitted tasks finish; exit 1 unless all complete")->group(client_group);
    app.add_flag("--verify", o.verify,
                 "then (or alone) check the whole database: every task complete, no step succeeded twice, every "
                 "history a legal path of the state machines; exit 1 on any violation")
        ->group(client_group);

    const char* fault_group = "Fault injection, for tests (workers)";
    app.add_option("--fail-rate", o.fail_rate, "probability that a step attempt fails with a retryable error")
        ->capture_default_str()->check(CLI::Range(0.0, 1.0))->group(fault_group);
    app.add_option("--seed", o.seed, "seed of --fail-rate: the same seed fails the same attempts")
        ->capture_default_str()->group(fault_group);
    app.add_option("--step-delay", o.step_delay_ms, "milliseconds every step attempt waits before it runs")
        ->capture_default_str()->check(CLI::NonNegativeNumber)->group(fault_group);
    CLI11_PARSE(app, argc, argv);
    if (o.url.empty() || (!o.role.empty() && (!o.submit.empty() || o.verify)) ||
        (o.role.empty() && o.submit.empty() && !o.migrate && !o.verify)) {
        std::cerr << "tasker-node: give --url (or TASKER_DATABASE_URL) and --migrate, --role, --submit or --verify\n";
        return 2;
    }
    if (o.broker == "rabbitmq" && o.amqp_url.empty()) {
        std::cerr << "tasker-node: --broker rabbitmq needs --amqp-url (or TASKER_RABBITMQ_URL)\n";
        return 2;
    }

    if (o.migrate) {
        auto applied = postgres::migrate(o.url, TASKER_MIGRATIONS_DIR);
        if (!applied) {
            std::cerr << "tasker-node: " << applied.error() << "\n";
            return 1;
        }
    }
    // The one place the broker is chosen; everything below works with either.
    const bool rabbit = o.broker == "rabbitmq";
    postgres::store store({.url = o.url, .route = rabbit ? postgres::message_route::outbox : postgres::message_route::pgmq});
    any_broker broker = rabbit ? any_broker(std::make_unique<rabbitmq::broker>(rabbitmq::broker_config{.url = o.amqp_url}))
                               : any_broker(std::make_unique<pgmq::broker>(pgmq::broker_config{.url = o.url}));
    handler_registry example_handlers;
    examples::register_math_handlers(example_handlers);
    examples::register_order_handlers(example_handlers);
    const auto handlers = examples::inject_faults(
        example_handlers, {o.fail_rate, o.seed, std::chrono::milliseconds(o.step_delay_ms)});
    client<postgres::store> front(store);
    for (const char* name : example_templates) {
        auto t = load_template_file(std::string(TASKER_EXAMPLES_DIR) + "/templates/" + name + ".yaml");
        auto registered = t ? detail::run_blocking(front.register_template(std::move(*t))) : result<template_ptr>(t.error());
        if (!registered) {
            std::cerr << "tasker-node: " << registered.error() << "\n";
            return 1;
        }
    }
    if (!o.role.empty())
        return serve(o, store, broker, handlers);
    if (!o.submit.empty())
        if (const int status = submit(o, store); status != 0)
            return status;
    return o.verify ? verify(o) : 0;
}
