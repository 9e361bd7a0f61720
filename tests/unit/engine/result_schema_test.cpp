// A step's result_schema checks what its handler returns: a successful result that fails it is
// a permanent failure of the step, whose message lists every violation with its JSON path.
#include <tasker/testing/catch.hpp>
#include <tasker/testing/scenario.hpp>

#include "support/catch.hpp"

using namespace tasker;
using namespace tasker::testing;

namespace {

// quote -> book; quote declares its result and may be retried.
constexpr std::string_view quote_flow = R"(
name: quote_flow
namespace_name: travel
version: 1.0.0
steps:
  - name: quote
    handler: {callable: travel.quote}
    retry: {retryable: true, max_attempts: 3, backoff: none}
    result_schema:
      type: object
      required: [fare, currency]
      properties:
        fare: {type: number, minimum: 0}
        currency: {enum: [EUR, USD]}
        legs: {type: array, items: {type: string}}
  - name: book
    dependencies: [quote]
    handler: {callable: travel.book}
)";

scenario quote_scenario(json::value quote_result)
{
    scenario s;
    s.given_template(quote_flow)
        .handler("travel.quote", scripted_handler::succeed(std::move(quote_result)))
        .handler("travel.book", scripted_handler::succeed({{"booked", true}}));
    return s;
}

} // namespace

TEST_CASE("result_schema: a result that matches is recorded and the task goes on", "[unit][engine][result_schema]")
{
    auto s = quote_scenario({{"fare", 120.5}, {"currency", "EUR"}, {"legs", json::array{"AMS-LIS"}}});
    s.submit().run_until_finished();
    CHECK(s.expect()
              .task(task_state::complete)
              .step("quote")
              .state(step_state::complete)
              .attempts(1)
              .result(json::object{{"fare", 120.5}, {"currency", "EUR"}, {"legs", json::array{"AMS-LIS"}}})
              .step("book")
              .state(step_state::complete));
}

TEST_CASE("result_schema: a result that does not match fails the step permanently, saying where",
          "[unit][engine][result_schema]")
{
    auto s = quote_scenario({{"fare", "120"}, {"legs", json::array{"AMS-LIS", 7}}});
    s.submit().run_until_finished();
    // Not retried although the step may be: the same handler would return the same result.
    CHECK(s.expect()
              .task(task_state::error)
              .step("quote")
              .state(step_state::error)
              .attempts(1)
              .error_contains("the result of step 'quote' does not match its result_schema (3 violations)")
              .error_contains("$.fare: expected number, got string")
              .error_contains("$.legs[1]: expected string, got integer")
              .error_contains("$.currency: required property 'currency' is missing")
              .step("book")
              .state(step_state::pending));
    const auto task = s.task();
    const auto* quote = task.step("quote");
    REQUIRE(quote);
    REQUIRE(quote->last_error);
    CHECK(quote->last_error->kind == error_kind::permanent);
    CHECK_FALSE(quote->result); // the refused result is not kept as the step's result
}
