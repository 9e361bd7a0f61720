// tasker-node: one process of a tasker cluster on PostgreSQL + PGMQ. Run an orchestrator
// and any number of workers, on any machines, against one database, then submit tasks:
//
//     tasker-node --url $URL --migrate
//     tasker-node --url $URL --role orchestrator &
//     tasker-node --url $URL --role worker &
//     tasker-node --url $URL --role worker &
//     tasker-node --url $URL --submit diamond_workflow --count 100 --wait
//
// Every process registers the example templates (registration is idempotent) and the
// example handlers. Orchestrators and workers run until SIGINT or SIGTERM, then finish
// their in-flight steps within the grace period and exit.
#include "handlers/math_handlers.hpp"
#include "handlers/order_handlers.hpp"

#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/shutdown_signals.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/migrations.hpp>
#include <tasker/postgres/store.hpp>
#include <tasker/spdlog_logger.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h> // getpid

using namespace tasker;

namespace {

constexpr const char* example_templates[] = {"linear_workflow", "diamond_workflow", "tree_workflow",
                                             "mixed_dag_workflow", "order_fulfillment"};

struct options {
    std::string url;
    std::string role;
    bool migrate = false;
    std::string submit;
    int count = 1;
    bool wait = false;
    std::size_t concurrency = 8;
    int grace_seconds = 30;
};

int serve(const options& o, postgres::store& store, pgmq::broker& broker, const handler_registry& handlers)
{
    asio::io_context io;
    const auto log = make_spdlog_logger();
    std::optional<orchestrator<postgres::store, pgmq::broker>> orch;
    std::optional<worker<postgres::store, pgmq::broker>> work;
    if (o.role == "orchestrator") {
        orchestrator_config c;
        c.name = "orchestrator-" + std::to_string(::getpid());
        c.log = log;
        orch.emplace(io.get_executor(), store, broker, c);
    } else {
        worker_config c;
        c.name = "worker-" + std::to_string(::getpid());
        c.namespaces = {"examples"};
        c.concurrency = o.concurrency;
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
    std::cout << "tasker-node: " << o.role << " running (pid " << ::getpid() << ")" << std::endl;
    io.run();
    return status;
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
    int not_complete = 0;
    for (const auto& id : ids) {
        auto t = detail::run_blocking(front.wait_until_finished(id, std::chrono::system_clock::now() + std::chrono::minutes(5)));
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

} // namespace

int main(int argc, char** argv)
{
    options o;
    if (const char* env = std::getenv("TASKER_DATABASE_URL"))
        o.url = env;
    CLI::App app{"One process of a tasker cluster on PostgreSQL + PGMQ"};
    app.add_option("--url", o.url, "database URL (default: TASKER_DATABASE_URL)");
    app.add_flag("--migrate", o.migrate, "apply pending migrations first");
    app.add_option("--role", o.role, "run as this until SIGINT/SIGTERM")->check(CLI::IsMember({"orchestrator", "worker"}));
    app.add_option("--submit", o.submit, "submit tasks of this example template")->check(CLI::IsMember(std::vector<std::string>(std::begin(example_templates), std::end(example_templates))));
    app.add_option("--count", o.count, "how many tasks to submit")->capture_default_str();
    app.add_flag("--wait", o.wait, "wait until the submitted tasks finish; exit 1 unless all complete");
    app.add_option("--concurrency", o.concurrency, "steps a worker runs at once")->capture_default_str();
    app.add_option("--grace", o.grace_seconds, "seconds in-flight steps get to finish on shutdown")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (o.url.empty() || (!o.role.empty() && !o.submit.empty()) || (o.role.empty() && o.submit.empty() && !o.migrate)) {
        std::cerr << "tasker-node: give --url (or TASKER_DATABASE_URL) and --migrate, --role or --submit\n";
        return 2;
    }

    if (o.migrate) {
        auto applied = postgres::migrate(o.url, TASKER_MIGRATIONS_DIR);
        if (!applied) {
            std::cerr << "tasker-node: " << applied.error() << "\n";
            return 1;
        }
    }
    postgres::store store({o.url, 4, 0});
    pgmq::broker broker({o.url, 4, pgmq::wake_mode::hybrid});
    handler_registry handlers;
    examples::register_math_handlers(handlers);
    examples::register_order_handlers(handlers);
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
    return o.submit.empty() ? 0 : submit(o, store);
}
