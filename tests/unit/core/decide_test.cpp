#include <tasker/core/decision.hpp>

#include "support/task_model.hpp"
#include "support/templates.hpp"

#include "support/catch.hpp"

#include <algorithm>

using namespace tasker;
using tasker::test::task_model;
using namespace std::chrono_literals;


TEST_CASE("decide: start enqueues the roots and records the task's path", "[unit][decide]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    CHECK(t.task_path() == std::vector{task_state::initializing, task_state::enqueuing_steps,
                                       task_state::steps_in_process});
    REQUIRE(t.d.step_changes.size() == 1);
    CHECK(t.d.step_changes[0] == step_change{0, step_state::pending, step_state::enqueued, step_event::enqueue, 2});
    REQUIRE(t.d.messages.size() == 1);
    CHECK(t.d.messages[0].to == outgoing_queue::worker);
    CHECK(t.d.messages[0].msg == message{message_kind::step_ready, 0, 1, t.id});
    // seq orders task and step changes together: start, ready_steps_found, enqueue, steps_enqueued
    CHECK(t.d.task_changes[0].seq == 0);
    CHECK(t.d.task_changes[1].seq == 1);
    CHECK(t.d.task_changes[2].seq == 3);
}

TEST_CASE("decide: a diamond runs to completion and its join starts exactly once", "[unit][decide]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{1, 2});
    CHECK(t.state == task_state::steps_in_process);

    t.succeed("b");
    CHECK(t.messaged(message_kind::step_ready).empty()); // c still running: end not ready
    CHECK(t.state == task_state::waiting_for_dependencies);

    t.succeed("c");
    CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{3});

    // A duplicate of c's result changes nothing: the join is not enqueued twice.
    REQUIRE(t.run(input::step_result{2, 1}));
    CHECK(t.d.empty());

    t.succeed("end");
    CHECK(t.state == task_state::complete);
    CHECK(t.task_path() == std::vector{task_state::evaluating_results, task_state::complete});
}

TEST_CASE("decide: a retryable failure waits for its backoff, then retries", "[unit][decide]")
{
    task_model t(test::make_template({{"only", {}, {.max_attempts = 3, .base = 100ms, .jitter = 0.0}}}));
    REQUIRE(t.run(input::start{}));
    t.fail("only", error_kind::retryable);
    CHECK(t.steps[0].state == step_state::waiting_for_retry);
    CHECK(t.state == task_state::waiting_for_retry);
    REQUIRE(t.d.messages.size() == 1);
    CHECK(t.d.messages[0].to == outgoing_queue::orchestration);
    CHECK(t.d.messages[0].msg.kind == message_kind::retry_due);
    CHECK(t.d.messages[0].delay == 100ms);

    REQUIRE(t.run(input::retry_due{0, 1}));
    CHECK(t.steps[0].state == step_state::enqueued);
    CHECK(t.d.messages[0].msg == message{message_kind::step_ready, 0, 2, t.id});
    CHECK(t.state == task_state::steps_in_process);

    t.fail("only", error_kind::timeout);
    CHECK(t.d.messages[0].delay == 200ms); // second failure: base * 2
    REQUIRE(t.run(input::retry_due{0, 2}));
    t.succeed("only");
    CHECK(t.state == task_state::complete);
    CHECK(t.steps[0].attempts == 3);
}

TEST_CASE("decide: attempts run out and the task ends in error with a dead letter", "[unit][decide]")
{
    task_model t(test::make_template({{"a", {}, {.max_attempts = 2, .base = 10ms}}, {"b", {"a"}}}));
    REQUIRE(t.run(input::start{}));
    t.fail("a", error_kind::retryable);
    REQUIRE(t.run(input::retry_due{0, 1}));
    t.fail("a", error_kind::retryable);
    CHECK(t.steps[0].state == step_state::error);
    CHECK(t.state == task_state::error);
    CHECK(t.task_path() == std::vector{task_state::evaluating_results, task_state::blocked_by_failures,
                                       task_state::error});
    CHECK(t.d.dead_letter);
    CHECK(t.d.failed_steps == std::vector<std::uint32_t>{0});
    CHECK(t.steps[1].state == step_state::pending); // never started
}

TEST_CASE("decide: the first attempt always runs, max_attempts 0 or 1 or retryable false never retry",
          "[unit][decide]")
{
    for (retry_settings r : {retry_settings{.max_attempts = 0}, retry_settings{.max_attempts = 1},
                             retry_settings{.retryable = false, .max_attempts = 5}}) {
        task_model t(test::make_template({{"a", {}, r}}));
        REQUIRE(t.run(input::start{}));
        CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{0}); // it runs
        t.fail("a", error_kind::retryable);
        CHECK(t.steps[0].state == step_state::error);
        CHECK(t.state == task_state::error);
    }
}

TEST_CASE("decide: a permanent error is never retried", "[unit][decide]")
{
    task_model t(test::make_template({{"a", {}, {.max_attempts = 10}}}));
    REQUIRE(t.run(input::start{}));
    t.fail("a", error_kind::permanent);
    CHECK(t.steps[0].state == step_state::error);
    CHECK(t.steps[0].attempts == 1);
    CHECK(t.state == task_state::error);
}

TEST_CASE("decide: a handler's Retry-After sets the delay, capped by the policy", "[unit][decide]")
{
    task_model t(test::make_template({{"a", {}, {.max_attempts = 3, .base = 10ms, .max = 5s}}}));
    REQUIRE(t.run(input::start{}));
    t.fail("a", error_kind::retryable, 2s);
    CHECK(t.d.messages[0].delay == 2s);
    REQUIRE(t.run(input::retry_due{0, 1}));
    t.fail("a", error_kind::retryable, 1h);
    CHECK(t.d.messages[0].delay == 5s);
}

TEST_CASE("decide: per-step retry settings override the task's and are the ones used", "[unit][decide]")
{
    const auto tmpl = test::make_template({{"slow", {}, {.base = 700ms, .jitter = 0.0}}, {"fast", {}}}, "tests", "wf",
                                          retry_settings{.max_attempts = 4, .base = 20ms, .jitter = 0.0});
    task_model t(tmpl);
    REQUIRE(t.run(input::start{}));
    t.fail("slow", error_kind::retryable);
    CHECK(t.d.messages[0].delay == 700ms);
    t.fail("fast", error_kind::retryable);
    CHECK(t.d.messages[0].delay == 20ms);
    CHECK(tmpl->steps[0].effective_retry.max_attempts == 4);
}

TEST_CASE("decide: a failure while another step runs blocks the task until that step finishes",
          "[unit][decide]")
{
    task_model t(test::diamond({.max_attempts = 1}));
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    t.fail("b", error_kind::permanent);
    CHECK(t.state == task_state::blocked_by_failures); // c still in flight
    CHECK_FALSE(t.d.dead_letter);
    t.succeed("c");
    CHECK(t.steps[2].state == step_state::complete);
    CHECK(t.state == task_state::error); // gave up once nothing was in flight
    CHECK(t.d.dead_letter);
    CHECK(t.steps[3].state == step_state::pending); // the join never started
}

TEST_CASE("decide: cancel moves every unfinished step and the task to cancelled", "[unit][decide]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    t.claim("b");
    REQUIRE(t.run(input::cancel{}));
    CHECK(t.state == task_state::cancelled);
    CHECK(t.steps[0].state == step_state::complete);
    CHECK(t.steps[1].state == step_state::cancelled);
    CHECK(t.steps[2].state == step_state::cancelled);
    CHECK(t.steps[3].state == step_state::cancelled);
    CHECK(t.d.messages.empty());

    auto again = t.run(input::cancel{});
    REQUIRE_FALSE(again);
    CHECK(again.error() == errc::illegal_transition);
    CHECK(again.error().message == "task is already cancelled: it cannot be cancelled");
}

TEST_CASE("decide: late and duplicate inputs are no-ops", "[unit][decide]")
{
    task_model t(test::make_template({{"a", {}, {.max_attempts = 3}}}));
    REQUIRE(t.run(input::start{}));
    REQUIRE(t.run(input::start{}));
    CHECK(t.d.empty()); // a second start
    t.fail("a", error_kind::retryable);
    REQUIRE(t.run(input::retry_due{0, 7})); // wrong attempt
    CHECK(t.d.empty());
    REQUIRE(t.run(input::step_result{0, 1})); // the result was processed already
    CHECK(t.d.empty());
    REQUIRE(t.run(input::step_result{99, 1})); // no such step
    CHECK(t.d.empty());
}

TEST_CASE("decide: an operator resets a failed step and the task runs again", "[unit][decide]")
{
    task_model t(test::make_template({{"a", {}, {.max_attempts = 1}}, {"b", {"a"}}}));
    REQUIRE(t.run(input::start{}));
    t.fail("a", error_kind::permanent);
    REQUIRE(t.state == task_state::error);

    auto bad = t.run(input::reset_step{1});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "step 'b' is pending: only a step in error can be reset");

    REQUIRE(t.run(input::reset_step{0}));
    CHECK(t.steps[0].attempts == 0);
    CHECK(t.steps[0].state == step_state::enqueued);
    CHECK(t.d.messages[0].msg == message{message_kind::step_ready, 0, 1, t.id});
    CHECK(t.task_path() == std::vector{task_state::pending, task_state::initializing, task_state::enqueuing_steps,
                                       task_state::steps_in_process});
    t.succeed("a");
    t.succeed("b");
    CHECK(t.state == task_state::complete);
}

TEST_CASE("decide: resolving a failed step by hand lets its dependents run", "[unit][decide]")
{
    task_model t(test::make_template({{"a", {}, {.max_attempts = 1}}, {"b", {"a"}}}));
    REQUIRE(t.run(input::start{}));
    t.fail("a", error_kind::permanent);
    REQUIRE(t.run(input::resolve_step{0}));
    CHECK(t.steps[0].state == step_state::resolved_manually);
    CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{1});
    t.succeed("b");
    CHECK(t.state == task_state::complete);

    auto late = t.run(input::resolve_step{1});
    REQUIRE_FALSE(late);
    CHECK(late.error() == errc::illegal_transition);
}

TEST_CASE("decide: resolving a failed task by hand closes it", "[unit][decide]")
{
    task_model t(test::make_template({{"a", {}, {.max_attempts = 1}}}));
    REQUIRE(t.run(input::start{}));
    REQUIRE_FALSE(t.run(input::resolve_task{})); // not failed: nothing to resolve
    t.fail("a", error_kind::permanent);
    REQUIRE(t.run(input::resolve_task{}));
    CHECK(t.state == task_state::resolved_manually);
}

TEST_CASE("decide: a task blocked while a retry waits retries it once unblocked", "[unit][decide]")
{
    task_model t(test::diamond({.max_attempts = 2, .base = 10ms}));
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    t.fail("b", error_kind::retryable); // b waits for a retry
    t.fail("c", error_kind::permanent); // c fails for good: blocked, and nothing in flight
    CHECK(t.state == task_state::error);
    REQUIRE(t.run(input::retry_due{1, 1})); // b's timer while the task is in error: ignored
    CHECK(t.d.empty());
    REQUIRE(t.run(input::reset_step{2}));
    // b's dropped retry is re-enqueued together with c.
    auto ready = t.messaged(message_kind::step_ready);
    std::sort(ready.begin(), ready.end());
    CHECK(ready == std::vector<std::uint32_t>{1, 2});
}

TEST_CASE("decide: retry jitter comes from the supplied randomness only", "[unit][decide]")
{
    const auto tmpl = test::make_template({{"a", {}, {.max_attempts = 3, .base = 1000ms, .jitter = 0.5}}});
    std::vector<duration> delays;
    for (std::uint64_t seed : {1u, 1u, 2u}) {
        task_model t(tmpl);
        t.random = seed;
        REQUIRE(t.run(input::start{}));
        t.fail("a", error_kind::retryable);
        delays.push_back(t.d.messages[0].delay);
        CHECK(t.d.messages[0].delay >= 500ms);
        CHECK(t.d.messages[0].delay <= 1500ms);
    }
    CHECK(delays[0] == delays[1]);
    CHECK(delays[0] != delays[2]);
}

TEST_CASE("decide: results that came in together move their steps, then evaluate the task once", "[unit][decide]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    REQUIRE(t.finish_together({{"b", true}, {"c", true}}));
    CHECK(t.steps[1].state == step_state::complete);
    CHECK(t.steps[2].state == step_state::complete);
    CHECK(t.messaged(message_kind::step_ready) == std::vector<std::uint32_t>{3}); // the join, once
    // One evaluation: one pass through evaluating_results, not one per step.
    CHECK(t.task_path() == std::vector{task_state::evaluating_results, task_state::enqueuing_steps,
                                       task_state::steps_in_process});
    CHECK(t.task_events() ==
          std::vector{task_event::step_completed, task_event::ready_steps_found, task_event::steps_enqueued});
    // Both steps moved before the task did, in the order of their results.
    REQUIRE(t.d.step_changes.size() == 3);
    CHECK(t.d.step_changes[0].step == 1);
    CHECK(t.d.step_changes[1].step == 2);
    CHECK(t.d.step_changes[0].seq < t.d.task_changes[0].seq);
    CHECK(t.d.step_changes[1].seq < t.d.task_changes[0].seq);
}

TEST_CASE("decide: results together, one of them failed: step_failed, the retry scheduled, the rest done",
          "[unit][decide]")
{
    task_model t(test::diamond({.max_attempts = 3, .base = 100ms, .jitter = 0.0}));
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    REQUIRE(t.finish_together({{"b", false}, {"c", true}}));
    CHECK(t.steps[1].state == step_state::waiting_for_retry);
    CHECK(t.steps[2].state == step_state::complete);
    CHECK(t.task_events() == std::vector{task_event::step_failed, task_event::retry_scheduled});
    CHECK(t.state == task_state::waiting_for_retry);
    CHECK(t.messaged(message_kind::retry_due) == std::vector<std::uint32_t>{1});
    CHECK(t.messaged(message_kind::step_ready).empty()); // the join waits for b
}

TEST_CASE("decide: results together, one failed for good: the task gives up once the other is processed",
          "[unit][decide]")
{
    task_model t(test::diamond({.max_attempts = 1}));
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    REQUIRE(t.finish_together({{"c", true}, {"b", false}}));
    CHECK(t.steps[1].state == step_state::error);
    CHECK(t.steps[2].state == step_state::complete);
    CHECK(t.state == task_state::error);
    CHECK(t.task_path() ==
          std::vector{task_state::evaluating_results, task_state::blocked_by_failures, task_state::error});
    CHECK(t.d.dead_letter);
    CHECK(t.d.failed_steps == std::vector<std::uint32_t>{1});
}

TEST_CASE("decide: late and duplicate results among results together move nothing", "[unit][decide]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    t.succeed("start");
    t.claim("b");
    t.steps[1].state = step_state::enqueued_for_orchestration;
    // b's result twice, a result of an attempt c never had, and one of a step that does not exist.
    REQUIRE(t.run(input::step_result_batch{{{1, 1}, {1, 1}, {2, 5}, {99, 1}}}));
    REQUIRE(t.d.step_changes.size() == 1);
    CHECK(t.d.step_changes[0].step == 1);
    CHECK(t.task_events() == std::vector{task_event::step_completed, task_event::no_dependencies_ready});

    REQUIRE(t.run(input::step_result_batch{{{1, 1}, {0, 1}}})); // all processed already
    CHECK(t.d.empty());
}

TEST_CASE("decide: results of a task that has ended change nothing", "[unit][decide]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    REQUIRE(t.run(input::cancel{}));
    REQUIRE(t.run(input::step_result_batch{{{0, 1}}}));
    CHECK(t.d.empty());
}

TEST_CASE("decide: results together end where the same results one by one end", "[unit][decide]")
{
    // Every way the three middle steps of a wide diamond can finish (succeed, fail with a
    // retry left, fail for good), processed together and one by one: the same step states,
    // task state, messages and dead letter.
    const auto tmpl = test::make_template({{"root", {}, {.max_attempts = 2, .jitter = 0.0}},
                                           {"m0", {"root"}, {.max_attempts = 2, .jitter = 0.0}},
                                           {"m1", {"root"}, {.max_attempts = 2, .jitter = 0.0}},
                                           {"m2", {"root"}, {.max_attempts = 1, .jitter = 0.0}},
                                           {"join", {"m0", "m1", "m2"}}});
    const std::vector<std::string> mids{"m0", "m1", "m2"};
    for (int outcome = 0; outcome < 8; ++outcome) {
        CAPTURE(outcome);
        task_model together(tmpl), one_by_one(tmpl);
        for (auto* t : {&together, &one_by_one}) {
            REQUIRE(t->run(input::start{}));
            t->succeed("root");
        }
        std::vector<std::pair<std::string, bool>> finished;
        for (int i = 0; i < 3; ++i)
            finished.emplace_back(mids[i], (outcome >> i & 1) == 0);
        REQUIRE(together.finish_together(finished));

        std::vector<outgoing_message> sent;
        bool dead_letter = false;
        for (const auto& [name, ok] : finished) {
            if (ok) {
                one_by_one.succeed(name);
            } else {
                one_by_one.fail(name, error_kind::retryable);
            }
            sent.insert(sent.end(), one_by_one.d.messages.begin(), one_by_one.d.messages.end());
            dead_letter = dead_letter || one_by_one.d.dead_letter;
        }
        CHECK(together.state == one_by_one.state);
        CHECK(together.steps == one_by_one.steps);
        CHECK(together.d.messages == sent);
        CHECK(together.d.dead_letter == dead_letter);
    }
}

TEST_CASE("orchestration_inputs: a task's results in a row become one input, retries stay apart",
          "[unit][decide]")
{
    const auto t1 = uuid::v7(std::chrono::system_clock::now(), 1, 1);
    const auto t2 = uuid::v7(std::chrono::system_clock::now(), 2, 2);
    const std::vector<message> events{
        {message_kind::step_result, 1, 1, t1}, {message_kind::step_result, 0, 1, t2},
        {message_kind::step_result, 2, 1, t1}, {message_kind::retry_due, 3, 1, t1},
        {message_kind::step_result, 4, 2, t1}, {message_kind::step_ready, 5, 1, t1}, // not the orchestrator's
    };
    std::vector<const message*> pointers;
    for (const auto& m : events)
        pointers.push_back(&m);
    const auto grouped = orchestration_inputs(pointers);
    REQUIRE(grouped.size() == 2);
    CHECK(grouped[0].task == t1); // in the order tasks first appear
    CHECK(grouped[1].task == t2);

    const auto& first = grouped[0].inputs;
    REQUIRE(first.size() == 3);
    const auto* run = std::get_if<input::step_result_batch>(&first[0]);
    REQUIRE(run);
    REQUIRE(run->results.size() == 2);
    CHECK((run->results[0].step == 1 && run->results[1].step == 2));
    const auto* retry = std::get_if<input::retry_due>(&first[1]);
    REQUIRE(retry);
    CHECK(retry->step == 3);
    const auto* after = std::get_if<input::step_result_batch>(&first[2]);
    REQUIRE(after);
    REQUIRE(after->results.size() == 1);
    CHECK((after->results[0].step == 4 && after->results[0].attempt == 2));

    REQUIRE(grouped[1].inputs.size() == 1);
    CHECK(std::get<input::step_result_batch>(grouped[1].inputs[0]).results.size() == 1);
}
