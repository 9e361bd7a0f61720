// The decision core's operator and staleness rules: expiring a stale task, completing a step by
// hand, retrying every failed step, and closing the dead-letter entry of a reopened task.
#include <tasker/core/decision.hpp>

#include "support/task_model.hpp"
#include "support/templates.hpp"

#include "support/catch.hpp"

using namespace tasker;
using tasker::test::task_model;

namespace {

retry_settings attempts(std::uint32_t n)
{
    retry_settings r;
    r.max_attempts = n;
    return r;
}

} // namespace

TEST_CASE("decide: expiring a task fails its unfinished steps and ends it in error, with a dead letter",
          "[unit][decide][operations]")
{
    task_model t(test::diamond(attempts(3)));
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    t.fail("b", error_kind::retryable); // waiting for its retry; c is enqueued
    REQUIRE(t.steps[t.index("b")].state == step_state::waiting_for_retry);
    REQUIRE(t.steps[t.index("c")].state == step_state::enqueued);

    REQUIRE(t.run(input::expire{true, "waiting too long"}));
    CHECK(t.state == task_state::error);
    CHECK(t.task_events() == std::vector{task_event::expire});
    CHECK(t.steps[t.index("start")].state == step_state::complete);
    CHECK(t.steps[t.index("b")].state == step_state::error);
    CHECK(t.steps[t.index("c")].state == step_state::error);
    CHECK(t.steps[t.index("end")].state == step_state::pending);
    CHECK(t.d.dead_letter);
    CHECK(t.d.cause == dead_letter_cause::staleness);
    CHECK(t.d.stale_reason == "waiting too long");
    CHECK(t.d.failed_steps == std::vector<std::uint32_t>{t.index("b"), t.index("c")});
    CHECK(t.d.messages.empty());

    // A second pass finds it ended: nothing to do, not an error.
    REQUIRE(t.run(input::expire{true, "again"}));
    CHECK(t.d.empty());
}

TEST_CASE("decide: staleness action `error` expires without a dead letter", "[unit][decide][operations]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    REQUIRE(t.run(input::expire{false, "too old"}));
    CHECK(t.state == task_state::error);
    CHECK_FALSE(t.d.dead_letter);
    CHECK(t.d.failed_steps.empty());
}

TEST_CASE("decide: resetting the step of an expired task reopens it and closes its dead letter",
          "[unit][decide][operations]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    REQUIRE(t.run(input::expire{true, "stuck"}));
    REQUIRE(t.run(input::reset_step{t.index("start")}));
    REQUIRE(t.d.closes_dead_letter);
    CHECK(*t.d.closes_dead_letter == dead_letter_status::manually_resolved);
    CHECK(t.state == task_state::steps_in_process);
    CHECK(t.steps[t.index("start")].state == step_state::enqueued);
    CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{t.index("start")});
}

TEST_CASE("decide: completing a failed step by hand lets its dependents run", "[unit][decide][operations]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    t.fail("start", error_kind::permanent);
    REQUIRE(t.state == task_state::error);
    CHECK(t.d.cause == dead_letter_cause::permanent_failure);

    REQUIRE(t.run(input::complete_step{t.index("start")}));
    CHECK(t.steps[t.index("start")].state == step_state::complete);
    CHECK(t.state == task_state::steps_in_process);
    CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{t.index("b"), t.index("c")});
    CHECK(t.d.closes_dead_letter == dead_letter_status::manually_resolved);

    auto again = t.run(input::complete_step{t.index("start")});
    REQUIRE_FALSE(again);
    CHECK(again.error() == errc::illegal_transition);
}

TEST_CASE("decide: a step completed by hand on a running task moves the task on", "[unit][decide][operations]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    REQUIRE(t.run(input::complete_step{t.index("start")})); // enqueued, never claimed
    CHECK(t.steps[t.index("start")].state == step_state::complete);
    CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{t.index("b"), t.index("c")});
    CHECK_FALSE(t.d.closes_dead_letter);
}

TEST_CASE("decide: retry_failed resets every failed step at once", "[unit][decide][operations]")
{
    task_model t(test::diamond(attempts(1)));
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    REQUIRE(t.finish_together({{"b", false}, {"c", false}}));
    REQUIRE(t.state == task_state::error);
    REQUIRE(t.d.failed_steps.size() == 2);
    CHECK(t.d.cause == dead_letter_cause::retries_exhausted);

    REQUIRE(t.run(input::retry_failed{}));
    CHECK(t.steps[t.index("b")].state == step_state::enqueued);
    CHECK(t.steps[t.index("c")].state == step_state::enqueued);
    CHECK(t.steps[t.index("b")].attempts == 0);
    for (const auto& m : t.d.messages)
        CHECK(m.msg.attempt == 1); // fresh attempts
    CHECK(t.state == task_state::steps_in_process);

    auto nothing = t.run(input::retry_failed{});
    REQUIRE_FALSE(nothing);
    CHECK(nothing.error() == errc::illegal_transition);
    CHECK(nothing.error().message.find("none of its steps is in error") != std::string::npos);
}

TEST_CASE("operator_input: complete_step and retry_failed name their steps", "[unit][decide][operations]")
{
    const auto tmpl = test::diamond();
    const task_id id = uuid::v7(std::chrono::system_clock::now(), 1, 2);
    auto complete = operator_input(*tmpl, id, action::complete_step{"b", nullptr});
    REQUIRE(complete);
    CHECK(std::get<input::complete_step>(*complete).step == 1);
    CHECK(std::holds_alternative<input::retry_failed>(*operator_input(*tmpl, id, action::retry_failed{})));
    auto missing = operator_input(*tmpl, id, action::complete_step{"zzz", nullptr});
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::step_not_found);

    const auto result = make_json(json::object{{"rows", 7}});
    const operator_action a = action::complete_step{"b", result};
    auto given = resolved_step_result(*complete, a);
    REQUIRE(given);
    CHECK(given->first == 1);
    CHECK(given->second == result);
}

TEST_CASE("check_operator_origin: an actor is required and sizes are capped", "[unit][decide][operations]")
{
    CHECK(check_operator_origin({"operator:alice", "why", nullptr}));
    auto none = check_operator_origin({"", "why", nullptr});
    REQUIRE_FALSE(none);
    CHECK(none.error() == errc::invalid_request);
    CHECK_FALSE(check_operator_origin({std::string(max_actor_length + 1, 'a'), "", nullptr}));
    CHECK_FALSE(check_operator_origin({"operator:alice", std::string(max_reason_length + 1, 'r'), nullptr}));
}
