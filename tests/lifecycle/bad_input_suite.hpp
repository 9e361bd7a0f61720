#pragma once
// Bad input gets its specific error and changes nothing, as a suite over the deployment type:
// `TASKER_BAD_INPUT_SUITE(Deployment, tags)` (the embedded runtime in bad_input_test.cpp,
// PostgreSQL with each broker in tests/rabbitmq/lifecycle_test.cpp).

#include "support/deployment.hpp"

#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

#include <string>
#include <vector>

namespace tasker::test::bad_input {

template <class Runtime>
std::size_t task_count(Runtime& rt)
{
    auto all = detail::run_blocking(rt.task_store().list_tasks({.limit = task_filter::max_limit}));
    REQUIRE(all);
    return all->tasks.size();
}

template <class Runtime>
std::size_t template_count(Runtime& rt)
{
    return detail::run_blocking(rt.task_store().list_templates()).value().size();
}

/// Messages waiting in the examples' worker queue, where the broker can tell (in-memory); a
/// broker that cannot counts as empty: the task count says nothing was created.
template <class Runtime>
std::size_t worker_queue_depth(Runtime& rt)
{
    if constexpr (requires { rt.message_broker().stats(worker_queue("examples").value()); }) {
        const auto s = rt.message_broker().stats(worker_queue("examples").value());
        return s.visible + s.delayed + s.in_flight;
    } else {
        return 0;
    }
}

template <class D>
void malformed_yaml()
{
    D d;
    auto& rt = d.rt;
    load_examples(rt);
    const auto before = template_count(rt);
    auto r = rt.load_template("name: broken\nsteps: [\n  - name: a\n");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::malformed_yaml);
    REQUIRE_FALSE(r.error().problems.empty());
    CHECK(r.error().problems[0].line > 0);
    CHECK(template_count(rt) == before);
}

template <class D>
void cyclic_template()
{
    D d;
    auto& rt = d.rt;
    load_examples(rt);
    const auto before = template_count(rt);
    auto r = rt.load_template(R"(
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
    CHECK(template_count(rt) == before);
}

template <class D>
void context_failing_schema()
{
    D d;
    auto& rt = d.rt;
    load_examples(rt);
    REQUIRE(rt.start());
    auto r = rt.submit({{"examples", "linear_workflow", std::nullopt}, json::object{{"even_number", "six"}}, {}, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_context);
    REQUIRE(r.error().problems.size() == 1);
    CHECK(r.error().problems[0].path == "$.even_number");

    auto missing = rt.submit({{"examples", "order_fulfillment", std::nullopt}, json::object{{"items", 3}}, {}, {}});
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::invalid_context);
    CHECK(missing.error().problems.size() >= 4); // every violation is reported
    CHECK(task_count(rt) == 0);
    CHECK(worker_queue_depth(rt) == 0);
}

template <class D>
void unknown_template_or_version()
{
    D d;
    auto& rt = d.rt;
    load_examples(rt);
    REQUIRE(rt.start());
    auto unknown = rt.submit({{"examples", "no_such_workflow", std::nullopt}, json::object{}, {}, {}});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error() == errc::template_not_found);
    auto version = rt.submit({{"examples", "linear_workflow", semver{9, 9, 9, {}, {}}}, json::object{{"even_number", 2}}, {}, {}});
    REQUIRE_FALSE(version);
    CHECK(version.error() == errc::version_not_found);
    CHECK(version.error().message.find("1.0.0") != std::string::npos); // lists what exists
    CHECK(task_count(rt) == 0);
}

template <class D>
void bad_request_refuses_batch()
{
    D d(deployment_settings{.max_context_bytes = 64});
    auto& rt = d.rt;
    load_examples(rt);
    REQUIRE(rt.start());
    auto good = [](int n) {
        return task_request{{"examples", "linear_workflow", std::nullopt}, json::object{{"even_number", n}}, {}, {}};
    };
    SECTION("a context failing the schema")
    {
        std::vector<task_request> batch{good(2), good(4), {{"examples", "linear_workflow", std::nullopt},
                                                           json::object{{"even_number", "six"}}, {}, {}}};
        auto r = rt.submit_batch(std::move(batch));
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_context);
        CHECK(r.error().message.find("task 3 of 3") != std::string::npos);
        REQUIRE(r.error().problems.size() == 1);
        CHECK(r.error().problems[0].path == "$.even_number");
    }
    SECTION("an unknown template")
    {
        std::vector<task_request> batch{good(2), {{"examples", "no_such_workflow", std::nullopt}, json::object{}, {}, {}}};
        auto r = rt.submit_batch(std::move(batch));
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::template_not_found);
        CHECK(r.error().message.find("task 2 of 2") != std::string::npos);
    }
    SECTION("an oversized context")
    {
        std::vector<task_request> batch{{{"examples", "linear_workflow", std::nullopt},
                                         json::object{{"even_number", 2}, {"pad", std::string(100, 'x')}}, {}, {}},
                                        good(2)};
        auto r = rt.submit_batch(std::move(batch));
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::payload_too_large);
        CHECK(r.error().message.find("task 1 of 2") != std::string::npos);
    }
    CHECK(task_count(rt) == 0);
    CHECK(worker_queue_depth(rt) == 0);

    // The same requests, all good, are created together and run.
    const auto created = rt.submit_batch({good(2), good(4), good(6)});
    REQUIRE(created);
    REQUIRE(created->size() == 3);
    for (const auto& c : *created) {
        CHECK(c.created);
        CHECK(rt.wait(c.id, std::chrono::seconds(10)).value().state == task_state::complete);
    }
}

template <class D>
void oversized_context()
{
    D d(deployment_settings{.max_context_bytes = 64});
    auto& rt = d.rt;
    load_examples(rt);
    REQUIRE(rt.start());
    auto r = rt.submit(
        {{"examples", "linear_workflow", std::nullopt}, json::object{{"even_number", 2}, {"pad", std::string(100, 'x')}}, {}, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::payload_too_large);
    CHECK(task_count(rt) == 0);
}

template <class D>
void unregistered_handler()
{
    D d;
    auto& rt = d.rt;
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

template <class D>
void oversized_result()
{
    D d(deployment_settings{.max_result_bytes = 64});
    auto& rt = d.rt;
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

} // namespace tasker::test::bad_input

/// The bad-input cases for `Deployment`, tagged `tags`.
#define TASKER_BAD_INPUT_SUITE(Deployment, tags)                                                                     \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::malformed_yaml,                 \
                           "malformed YAML is reported with its line and registers nothing")                         \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::cyclic_template,                \
                           "a cyclic template names its cycle and registers nothing")                                \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::context_failing_schema,         \
                           "a context failing the input schema creates no task")                                     \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::unknown_template_or_version,    \
                           "an unknown template or version creates no task")                                         \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::bad_request_refuses_batch,      \
                           "one bad request refuses the whole batch, saying which")                                  \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::oversized_context,              \
                           "an oversized context is rejected")                                                       \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::unregistered_handler,           \
                           "a template naming an unregistered handler stops the worker from starting")               \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "bad input", ::tasker::test::bad_input::oversized_result,               \
                           "a step result over the cap fails the step permanently, saying why")                      \
    static_assert(true, "TASKER_BAD_INPUT_SUITE is followed by a semicolon")
