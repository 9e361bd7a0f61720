// The scenario runner: given a template and scripted handlers, when actions, then expectations,
// on virtual time.
#include <tasker/testing/catch.hpp>
#include <tasker/testing/scenario.hpp>

#include "support/catch.hpp"

using namespace tasker;
using namespace tasker::testing;
using namespace std::chrono_literals;

namespace {

// validate -> charge -> ship; charge may wait an hour between attempts.
constexpr std::string_view order_flow = R"(
name: order
namespace_name: shop
version: 1.0.0
retry: {jitter: 0}
steps:
  - name: validate
    handler: {callable: shop.validate}
  - name: charge
    dependencies: [validate]
    handler: {callable: shop.charge}
    retry: {max_attempts: 11, backoff: constant, backoff_base_ms: 3600000, max_backoff_ms: 3600000}
    timeout_seconds: 5
  - name: ship
    dependencies: [charge]
    handler: {callable: shop.ship}
)";

scenario order_scenario(const scripted_handler& charge)
{
    scenario s;
    s.given_template(order_flow)
        .handler("shop.validate", scripted_handler::succeed({{"total", 42}}))
        .handler("shop.charge", charge)
        .handler("shop.ship", [](step_context& ctx) {
            return success({{"charged", ctx.result_of("charge") != nullptr}});
        });
    return s;
}

} // namespace

TEST_CASE("scenario: retries an hour apart finish in virtual time", "[unit][scenario]")
{
    auto s = order_scenario(scripted_handler::fail_times(10).then_succeed({{"id", "ch_1"}}));
    s.submit().run_until_finished();
    CHECK(s.expect()
              .task(task_state::complete)
              .step("charge")
              .state(step_state::complete)
              .attempts(11)
              .result(json::object{{"id", "ch_1"}})
              .error_contains("planned transient failure (attempt 10)")
              .step("ship")
              .result(json::object{{"charged", true}})
              .elapsed_between(10h, 10h + 1s));
}

TEST_CASE("scenario: exact transition sequences", "[unit][scenario]")
{
    auto s = order_scenario(scripted_handler::fail_times(1).then_succeed());
    s.submit().run_until_finished();
    using enum step_state;
    CHECK(s.expect().step("validate").transitions({enqueued, in_progress, enqueued_for_orchestration, complete}));
    CHECK(s.expect().step("charge").transitions({enqueued, in_progress, enqueued_as_error_for_orchestration,
                                                 waiting_for_retry, enqueued, in_progress,
                                                 enqueued_for_orchestration, complete}));
}

TEST_CASE("scenario: a permanent failure ends the task in error and stops downstream", "[unit][scenario]")
{
    auto s = order_scenario(scripted_handler::permanent_failure("card declined"));
    s.submit().run_until_finished();
    CHECK(s.expect()
              .task(task_state::error)
              .step("charge")
              .state(step_state::error)
              .attempts(1)
              .error_contains("card declined")
              .step("ship")
              .state(step_state::pending)
              .attempts(0));
}

TEST_CASE("scenario: a step that runs past its timeout is retried", "[unit][scenario]")
{
    auto s = order_scenario(scripted_handler::time_out(1).then_succeed({{"id", "late"}}));
    s.submit().run_until_finished();
    CHECK(s.expect()
              .task(task_state::complete)
              .step("charge")
              .attempts(2)
              .result(json::object{{"id", "late"}})
              .error_contains("timeout"));
    const auto t = s.task();
    const auto* charge = t.step("charge");
    REQUIRE(charge->last_error);
    CHECK(charge->last_error->kind == error_kind::timeout);
}

TEST_CASE("scenario: operator actions — cancel, reset, resolve", "[unit][scenario]")
{
    SECTION("cancel while a retry waits")
    {
        auto s = order_scenario(scripted_handler::fail_times(5));
        s.submit().advance(30min);
        CHECK(s.expect().task(task_state::waiting_for_retry).step("charge").state(step_state::waiting_for_retry));
        s.cancel().run_until_finished();
        CHECK(s.expect().task(task_state::cancelled).step("charge").state(step_state::cancelled).attempts(1));
    }
    SECTION("reset a failed step: fresh attempts, then success")
    {
        int calls = 0;
        scenario s;
        s.given_template(order_flow)
            .handler("shop.validate", scripted_handler::succeed())
            .handler("shop.charge", [&](step_context&) {
                return ++calls == 1 ? permanent_error("gateway down") : success({{"id", "ch_2"}});
            })
            .handler("shop.ship", scripted_handler::succeed());
        s.submit().run_until_finished();
        REQUIRE(s.expect().task(task_state::error));
        s.reset_step("charge").run_until_finished();
        CHECK(s.expect().task(task_state::complete).step("charge").result(json::object{{"id", "ch_2"}}));
    }
    SECTION("resolve a failed step by hand: its dependents run")
    {
        auto s = order_scenario(scripted_handler::permanent_failure());
        s.submit().run_until_finished().resolve_step("charge", {{"id", "manual"}}).run_until_finished();
        CHECK(s.expect()
                  .task(task_state::complete)
                  .step("charge")
                  .state(step_state::resolved_manually)
                  .step("ship")
                  .result(json::object{{"charged", true}}));
    }
    SECTION("resolve a failed task by hand")
    {
        auto s = order_scenario(scripted_handler::permanent_failure());
        s.submit().run_until_finished().resolve_task();
        CHECK(s.expect().task(task_state::resolved_manually));
    }
}

TEST_CASE("scenario: a worker killed mid-step, the step comes back after its lease", "[unit][scenario]")
{
    scenario s;
    int calls = 0;
    s.given_template(order_flow)
        .handler("shop.validate", scripted_handler::succeed())
        .handler("shop.charge", [&](step_context&) {
            if (++calls == 1)
                s.cluster().kill_current_worker(); // dies holding the step
            return success();
        })
        .handler("shop.ship", scripted_handler::succeed());
    s.submit();
    CHECK(s.expect().step("charge").state(step_state::in_progress));
    s.restart_worker(0).run_until_finished();
    // The lost attempt counts as a retryable failure once its lease ends; then the hour of backoff.
    const auto lost_after = sim_worker_defaults().lease + 1h;
    CHECK(s.expect()
              .task(task_state::complete)
              .step("charge")
              .attempts(2)
              .error_contains("lease")
              .elapsed_between(lost_after, lost_after + 1s));
    CHECK(calls == 2);
}

TEST_CASE("scenario: a failed expectation says what failed and prints the timeline", "[unit][scenario]")
{
    auto s = order_scenario(scripted_handler::permanent_failure("card declined"));
    s.submit().run_until_finished();
    auto e = s.expect().task(task_state::complete).step("charge").attempts(3).step("nope");
    CHECK_FALSE(e);
    const auto text = e.describe();
    CHECK(text.find("expected: task is error, expected complete") != std::string::npos);
    CHECK(text.find("expected: step 'charge' was attempted 1 times, expected 3") != std::string::npos);
    CHECK(text.find("expected: the template has no step 'nope'") != std::string::npos);
    CHECK(text.find("shop/order@1.0.0 task " + s.id().to_string()) != std::string::npos);
    CHECK(text.find("card declined") != std::string::npos);
}

TEST_CASE("scenario: setup errors throw with the whole error", "[unit][scenario]")
{
    scenario s;
    CHECK_THROWS_WITH(s.given_template("name: x\nsteps: [\n"), Catch::Contains("given_template") &&
                                                                     Catch::Contains("not valid YAML"));
    CHECK_THROWS_WITH(s.given_template_file("/nonexistent.yaml"), Catch::Contains("/nonexistent.yaml"));
    s.given_template(R"(
name: typed
namespace_name: shop
version: 1.0.0
input_schema: {type: object, required: [n], properties: {n: {type: integer}}}
steps:
  - {name: a, handler: {callable: shop.a}}
)");
    s.handler("shop.a", scripted_handler::succeed());
    CHECK_THROWS_WITH(s.submit(json::object{{"n", "one"}}), Catch::Contains("$.n") && Catch::Contains("expected integer"));
    CHECK_THROWS_AS(s.submit(json::object{}, "missing_flow"), std::logic_error);
}
