// Bad input gets its specific error and creates nothing.
#include "support/example_runtime.hpp"

#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

using namespace tasker;

namespace {

std::size_t task_count(inmemory::runtime& rt)
{
    auto all = detail::run_blocking(rt.task_store().list_tasks({}));
    REQUIRE(all);
    return all->size();
}

std::size_t worker_queue_depth(inmemory::runtime& rt)
{
    const auto s = rt.message_broker().stats(worker_queue("examples").value());
    return s.visible + s.delayed + s.in_flight;
}

std::size_t template_count(inmemory::runtime& rt)
{
    return detail::run_blocking(rt.task_store().list_templates()).value().size();
}

} // namespace

TEST_CASE("bad input: malformed YAML is reported with its line and registers nothing", "[lifecycle][bad_input]")
{
    test::example_runtime ex;
    const auto before = template_count(ex.rt);
    auto r = ex.rt.load_template("name: broken\nsteps: [\n  - name: a\n");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::malformed_yaml);
    REQUIRE_FALSE(r.error().problems.empty());
    CHECK(r.error().problems[0].line > 0);
    CHECK(template_count(ex.rt) == before);
}

TEST_CASE("bad input: a cyclic template names its cycle and registers nothing", "[lifecycle][bad_input]")
{
    test::example_runtime ex;
    const auto before = template_count(ex.rt);
    auto r = ex.rt.load_template(R"(
name: cyclic
namespace_name: examples
version: 1.0.0
steps:
  - {name: a, dependencies: [c], handler: {callable: math.square_product}}
  - {name: b, dependencies: [a], handler: {callable: math.square_product}}
  - {name: c, dependencies: [b], handler: {callable: math.square_product}}
)");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_template);
    bool named = false;
    for (const auto& p : r.error().problems)
        named |= p.message.find("dependency cycle: ") != std::string::npos &&
                 p.message.find("a -> b -> c -> a") != std::string::npos;
    CHECK(named);
    CHECK(template_count(ex.rt) == before);
}

TEST_CASE("bad input: a context failing the input schema creates no task", "[lifecycle][bad_input]")
{
    test::example_runtime ex;
    REQUIRE(ex.rt.start());
    auto r = ex.rt.submit({{"examples", "linear_workflow", std::nullopt}, json::object{{"even_number", "six"}}, {}, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_context);
    REQUIRE(r.error().problems.size() == 1);
    CHECK(r.error().problems[0].path == "$.even_number");

    auto missing = ex.rt.submit({{"examples", "order_fulfillment", std::nullopt}, json::object{{"items", 3}}, {}, {}});
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::invalid_context);
    CHECK(missing.error().problems.size() >= 4); // every violation is reported
    CHECK(task_count(ex.rt) == 0);
    CHECK(worker_queue_depth(ex.rt) == 0);
}

TEST_CASE("bad input: an unknown template or version creates no task", "[lifecycle][bad_input]")
{
    test::example_runtime ex;
    REQUIRE(ex.rt.start());
    auto unknown = ex.rt.submit({{"examples", "no_such_workflow", std::nullopt}, json::object{}, {}, {}});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error() == errc::template_not_found);
    auto version = ex.rt.submit({{"examples", "linear_workflow", semver{9, 9, 9, {}, {}}}, json::object{{"even_number", 2}}, {}, {}});
    REQUIRE_FALSE(version);
    CHECK(version.error() == errc::version_not_found);
    CHECK(version.error().message.find("1.0.0") != std::string::npos); // lists what exists
    CHECK(task_count(ex.rt) == 0);
}

TEST_CASE("bad input: one bad request refuses the whole batch, saying which", "[lifecycle][bad_input]")
{
    auto options = test::fast_options();
    options.client.max_context_bytes = 64;
    test::example_runtime ex(options);
    REQUIRE(ex.rt.start());
    auto good = [](int n) {
        return task_request{{"examples", "linear_workflow", std::nullopt}, json::object{{"even_number", n}}, {}, {}};
    };
    SECTION("a context failing the schema")
    {
        std::vector<task_request> batch{good(2), good(4), {{"examples", "linear_workflow", std::nullopt},
                                                           json::object{{"even_number", "six"}}, {}, {}}};
        auto r = ex.rt.submit_batch(std::move(batch));
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_context);
        CHECK(r.error().message.find("task 3 of 3") != std::string::npos);
        REQUIRE(r.error().problems.size() == 1);
        CHECK(r.error().problems[0].path == "$.even_number");
    }
    SECTION("an unknown template")
    {
        std::vector<task_request> batch{good(2), {{"examples", "no_such_workflow", std::nullopt}, json::object{}, {}, {}}};
        auto r = ex.rt.submit_batch(std::move(batch));
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::template_not_found);
        CHECK(r.error().message.find("task 2 of 2") != std::string::npos);
    }
    SECTION("an oversized context")
    {
        std::vector<task_request> batch{{{"examples", "linear_workflow", std::nullopt},
                                         json::object{{"even_number", 2}, {"pad", std::string(100, 'x')}}, {}, {}},
                                        good(2)};
        auto r = ex.rt.submit_batch(std::move(batch));
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::payload_too_large);
        CHECK(r.error().message.find("task 1 of 2") != std::string::npos);
    }
    CHECK(task_count(ex.rt) == 0);
    CHECK(worker_queue_depth(ex.rt) == 0);

    // The same requests, all good, are created together and run.
    const auto created = ex.rt.submit_batch({good(2), good(4), good(6)});
    REQUIRE(created);
    REQUIRE(created->size() == 3);
    for (const auto& c : *created) {
        CHECK(c.created);
        CHECK(ex.rt.wait(c.id, std::chrono::seconds(10)).value().state == task_state::complete);
    }
}

TEST_CASE("bad input: an oversized context is rejected", "[lifecycle][bad_input]")
{
    auto options = test::fast_options();
    options.client.max_context_bytes = 64;
    test::example_runtime ex(options);
    REQUIRE(ex.rt.start());
    auto r = ex.rt.submit(
        {{"examples", "linear_workflow", std::nullopt}, json::object{{"even_number", 2}, {"pad", std::string(100, 'x')}}, {}, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::payload_too_large);
    CHECK(task_count(ex.rt) == 0);
}

TEST_CASE("bad input: a template naming an unregistered handler stops the worker from starting", "[lifecycle][bad_input]")
{
    inmemory::runtime rt(test::fast_options());
    rt.handlers().add("known.step", [](step_context&) { return success(); });
    REQUIRE(rt.load_template(R"(
name: needs_handlers
namespace_name: lifecycle
version: 1.0.0
steps:
  - {name: one, handler: {callable: known.step}}
  - {name: two, handler: {callable: unknown.step}}
)"));
    auto started = rt.start();
    REQUIRE_FALSE(started);
    CHECK(started.error() == errc::unknown_handler);
    REQUIRE(started.error().problems.size() == 1);
    CHECK(started.error().problems[0].path == "steps[1].handler.callable");
    CHECK(started.error().problems[0].message.find("'unknown.step'") != std::string::npos);
}

TEST_CASE("bad input: a step result over the cap fails the step permanently, saying why", "[lifecycle][bad_input]")
{
    auto options = test::fast_options();
    options.worker.max_result_bytes = 64;
    inmemory::runtime rt(options);
    rt.handlers().add("big.result", [](step_context&) { return success({{"blob", std::string(100, 'x')}}); });
    rt.handlers().add("big.after", [](step_context&) { return success(); });
    REQUIRE(rt.load_template(R"(
name: big_result
namespace_name: lifecycle
version: 1.0.0
steps:
  - {name: produce, handler: {callable: big.result}}
  - {name: consume, dependencies: [produce], handler: {callable: big.after}}
)"));
    REQUIRE(rt.start());
    const auto id = rt.submit({{"lifecycle", "big_result", std::nullopt}, json::object{}, {}, {}}).value().id;
    const auto t = rt.wait(id, std::chrono::seconds(30)).value();
    INFO(format_timeline(t));
    CHECK(t.state == task_state::error);
    const auto* produce = t.step("produce");
    CHECK(produce->state == step_state::error);
    CHECK(produce->attempts == 1); // permanent: not retried
    CHECK_FALSE(produce->result);  // nothing of it was stored
    REQUIRE(produce->last_error);
    CHECK(produce->last_error->message.find("the limit is 64") != std::string::npos);
    CHECK(t.step("consume")->attempts == 0);
}
