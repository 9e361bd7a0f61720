// Runs a two-step workflow on the embedded runtime of an installed tasker.
#include <tasker/messaging/any_broker.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/errors.hpp>
#include <tasker/postgres/runtime.hpp>
#include <tasker/rabbitmq/broker.hpp>
#include <tasker/rabbitmq/topology.hpp>
#include <tasker/tasker.hpp>
#include <tasker/testing/postgres.hpp>

#include <filesystem>
#include <iostream>

// The broker components link and satisfy the concept (no server is needed to check that).
static_assert(tasker::message_broker<tasker::pgmq::broker>);
static_assert(tasker::message_broker<tasker::rabbitmq::broker>);
// PGMQ's queues are read by the PostgreSQL store in its own transactions, RabbitMQ's are not:
// the store sends through pgmq next to the one and through its outbox next to the other.
static_assert(tasker::queue_reading_store<tasker::postgres::store, tasker::pgmq::broker>);
static_assert(!tasker::queue_reading_store<tasker::postgres::store, tasker::rabbitmq::broker>);
static_assert(!tasker::queue_reading_store<tasker::postgres::store, tasker::any_broker>);
static_assert(tasker::postgres::route_for<tasker::pgmq::broker> == tasker::postgres::message_route::pgmq);
static_assert(tasker::postgres::route_for<tasker::rabbitmq::broker> == tasker::postgres::message_route::outbox);

int main()
{
    // testing_postgres links, and its default migrations are the ones installed with it.
    const std::filesystem::path migrations = tasker::testing::default_migrations_dir();
    if (!std::filesystem::exists(migrations / "0001_pgmq.sql")) {
        std::cerr << "no installed migrations in " << migrations << "\n";
        return 1;
    }
    std::cout << "testing_postgres migrations: " << migrations.string() << "\n";
    auto* volatile make_database = &tasker::testing::migrated_database; // linked, not called: needs a server
    (void)make_database;

    // postgres's SQLSTATE category links (it is compiled into the installed connection layer).
    tasker::error refused{tasker::errc::database_error, "refused"};
    refused.origin = tasker::postgres::make_sqlstate_code("42601");
    if (tasker::postgres::sqlstate(refused) != "42601" || refused.origin.message() != "SQLSTATE 42601 (syntax_error)") {
        std::cerr << "postgres errors misbehave: " << refused.origin.message() << "\n";
        return 1;
    }

    // rabbitmq links: a broker is made (it connects on first use) and its delay rounding works.
    tasker::any_broker chosen(std::make_unique<tasker::rabbitmq::broker>(tasker::rabbitmq::broker_config{}));
    if (tasker::rabbitmq::delay_bucket(std::chrono::milliseconds(1234)) != std::chrono::milliseconds(1300) ||
        !chosen.get<tasker::rabbitmq::broker>()) {
        std::cerr << "rabbitmq component misbehaves\n";
        return 1;
    }

    tasker::inmemory::runtime rt;
    rt.handlers().add("consumer.hello", [](tasker::step_context&) { return tasker::success({{"hello", "world"}}); });
    rt.handlers().add("consumer.echo", [](tasker::step_context& ctx) { return tasker::success(*ctx.result_of("hello")); });
    auto t = rt.load_template(R"(
name: consumer
namespace_name: consumer
version: 1.0.0
steps:
  - {name: hello, handler: {callable: consumer.hello}}
  - {name: echo, dependencies: [hello], handler: {callable: consumer.echo}}
)");
    if (!t || !rt.start()) {
        std::cerr << "setup failed\n";
        return 1;
    }
    auto id = rt.submit({{"consumer", "consumer", std::nullopt}, tasker::json::object{}, {}, {}}).value().id;
    auto done = rt.wait(id, std::chrono::seconds(10)).value();
    std::cout << "task " << id << " " << done.state << " (pgmq modes: " << tasker::pgmq::wake_mode::hybrid << ", "
              << tasker::pgmq::wake_mode::polling << ")\n";
    return done.state == tasker::task_state::complete && done.step("echo")->result->at("hello") == "world" ? 0 : 1;
}
