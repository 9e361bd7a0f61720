// Runs a two-step workflow on the embedded runtime and on the testing kit's simulated
// cluster of an installed tasker, with no backend installed or looked for.
#include <tasker/tasker.hpp>
#include <tasker/testing/sim_cluster.hpp>

#include <iostream>

namespace {

constexpr const char* workflow = R"(
name: consumer
namespace_name: consumer
version: 1.0.0
steps:
  - {name: hello, handler: {callable: consumer.hello}}
  - {name: echo, dependencies: [hello], handler: {callable: consumer.echo}}
)";

void add_handlers(tasker::handler_registry& handlers)
{
    handlers.add("consumer.hello", [](tasker::step_context&) { return tasker::success({{"hello", "world"}}); });
    handlers.add("consumer.echo", [](tasker::step_context& ctx) { return tasker::success(*ctx.result_of("hello")); });
}

tasker::task_request request() { return {{"consumer", "consumer", std::nullopt}, tasker::json::object{}, {}, {}}; }

bool echoed(const tasker::task_view& done)
{
    return done.state == tasker::task_state::complete && done.step("echo")->result->at("hello") == "world";
}

} // namespace

int main()
{
    tasker::inmemory::runtime rt;
    add_handlers(rt.handlers());
    if (!rt.load_template(workflow) || !rt.start()) {
        std::cerr << "runtime setup failed\n";
        return 1;
    }
    const auto id = rt.submit(request()).value().id;
    const auto done = rt.wait(id, std::chrono::seconds(10)).value();
    std::cout << "runtime: task " << id << " " << done.state << "\n";

    tasker::testing::sim_cluster cluster;
    add_handlers(cluster.handlers());
    if (!cluster.add_template(workflow) || !cluster.start()) {
        std::cerr << "simulated cluster setup failed\n";
        return 1;
    }
    const auto simulated = cluster.submit(request()).value().id;
    if (!cluster.run_until_finished(simulated)) {
        std::cerr << "the simulated cluster did not finish the task\n";
        return 1;
    }
    const auto finished = cluster.get(simulated).value();
    std::cout << "simulated cluster: task " << simulated << " " << finished.state << "\n";
    return echoed(done) && echoed(finished) ? 0 : 1;
}
