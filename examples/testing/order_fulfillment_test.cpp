// Lifecycle tests of the order fulfillment example, written with tasker::testing.
// docs/testing.md shows this file; it is built as tasker-example-testing and run by ctest.
#include <catch2/catch.hpp>
#include <tasker/testing/catch.hpp>
#include <tasker/testing/scenario.hpp>

#include "handlers/order_handlers.hpp"

using namespace tasker;
using tasker::testing::scripted_handler;
using tasker::testing::scenario;

const std::string order_template = TASKER_EXAMPLES_DIR "/templates/order_fulfillment.yaml";

TEST_CASE("the flaky payment gateway is retried twice, then the order ships")
{
    scenario s;
    examples::register_order_handlers(s.handlers()); // the real handlers
    s.given_template_file(order_template).submit(examples::sample_order()).run_until_finished();

    CHECK(s.expect()
              .task(task_state::complete)
              .step("process_payment")
              .attempts(3)
              .error_contains("payment gateway timed out")
              .step("ship_order")
              .state(step_state::complete));
}

TEST_CASE("a declined card fails the task at once, and nothing ships")
{
    scenario s;
    examples::register_order_handlers(s.handlers());
    s.given_template_file(order_template).submit(examples::sample_order("tok_declined")).run_until_finished();

    CHECK(s.expect()
              .task(task_state::error)
              .step("process_payment")
              .attempts(1)
              .error_contains("card declined")
              .step("ship_order")
              .state(step_state::pending));
}

TEST_CASE("a payment outage can be cancelled while the step waits for its retry")
{
    scenario s;
    s.given_template_file(order_template)
        .handler("orders.validate_order", scripted_handler::succeed({{"total", 99.5}}))
        .handler("orders.reserve_inventory", scripted_handler::succeed())
        .handler("orders.process_payment", scripted_handler::fail_times(100, "gateway unavailable"))
        .handler("orders.ship_order", scripted_handler::succeed());
    s.submit(examples::sample_order()).advance(std::chrono::milliseconds(60)); // first retry is 50 ms later
    CHECK(s.expect().step("process_payment").state(step_state::waiting_for_retry).attempts(2));

    s.cancel().run_until_finished();
    CHECK(s.expect()
              .task(task_state::cancelled)
              .step("process_payment")
              .state(step_state::cancelled)
              .step("ship_order")
              .state(step_state::cancelled)
              .attempts(0));
}
