// Runs a two-step workflow on the embedded runtime of an installed tasker.
#include <tasker/pgmq/broker.hpp>
#include <tasker/tasker.hpp>
#include <tasker/testing/postgres.hpp>

#include <filesystem>
#include <iostream>

// The pgmq component links and satisfies the concept (no server is needed to check that).
static_assert(tasker::message_broker<tasker::pgmq::broker>);

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
