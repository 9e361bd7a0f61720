#include <tasker/engine/decision.hpp>

#include "support/templates.hpp"

#include "support/catch.hpp"

#include <algorithm>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

// Plays the store's part: keeps a task's state and applies decisions to it.
struct task_model {
    template_ptr tmpl;
    task_id id = uuid::v7(std::chrono::system_clock::now(), 1, 2);
    task_state state = task_state::pending;
    std::vector<step_status> steps;
    decision d;
    std::uint64_t random = 42;

    explicit task_model(template_ptr t) : tmpl(std::move(t)), steps(tmpl->steps.size()) {}

    result<void> run(const decision_input& in)
    {
        auto r = decide(*tmpl, id, state, steps, in, random, d);
        if (!r)
            return r;
        for (const auto& c : d.task_changes) {
            REQUIRE(c.from == state);
            state = c.to;
        }
        for (const auto& c : d.step_changes) {
            REQUIRE(steps[c.step].state == c.from);
            apply(steps[c.step], c);
        }
        return r;
    }

    std::uint32_t index(const std::string& name) const { return *tmpl->step_index(name); }

    // What a worker does: claim the attempt, then succeed or fail it.
    void claim(const std::string& name)
    {
        auto& s = steps[index(name)];
        REQUIRE(s.state == step_state::enqueued);
        s.state = step_state::in_progress;
        ++s.attempts;
    }
    void succeed(const std::string& name)
    {
        claim(name);
        steps[index(name)].state = step_state::enqueued_for_orchestration;
        REQUIRE(run(input::step_result{index(name), steps[index(name)].attempts}));
    }
    void fail(const std::string& name, error_kind kind, std::optional<duration> retry_after = std::nullopt)
    {
        claim(name);
        auto& s = steps[index(name)];
        s.state = step_state::enqueued_as_error_for_orchestration;
        s.last_error = kind;
        s.retry_after = retry_after;
        REQUIRE(run(input::step_result{index(name), s.attempts}));
    }

    std::vector<task_state> task_path() const
    {
        std::vector<task_state> out;
        for (const auto& c : d.task_changes)
            out.push_back(c.to);
        return out;
    }
    std::vector<std::uint32_t> messaged(message_kind kind) const
    {
        std::vector<std::uint32_t> out;
        for (const auto& m : d.messages)
            if (m.msg.kind == kind)
                out.push_back(m.msg.step);
        return out;
    }
};

} // namespace

TEST_CASE("decide: start enqueues the roots and records the task's path", "[unit][decide]")
{
    task_model t(test::diamond());
    REQUIRE(t.run(input::start{}));
    CHECK(t.task_path() == std::vector{task_state::initializing, task_state::enqueuing_steps,
                                       task_state::steps_in_process});
    REQUIRE(t.d.step_changes.size() == 1);
    CHECK(t.d.step_changes[0] == step_change{0, step_state::pending, step_state::enqueued, step_event::enqueue, 2});
    REQUIRE(t.d.messages.size() == 1);
    CHECK(t.d.messages[0].to == destination::worker);
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
    CHECK(t.d.messages[0].to == destination::orchestration);
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

TEST_CASE("decide: the first attempt always runs; max_attempts 0 or 1 or retryable false never retry",
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
