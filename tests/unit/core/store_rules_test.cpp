// The rules a store applies around `decide`: replaying a decision's changes, the
// dead-letter summary, and the result of a step an operator resolves.
#include <tasker/core/dead_letter_reason.hpp>
#include <tasker/core/replay_changes.hpp>

#include "support/templates.hpp"

#include "support/catch.hpp"

#include <sstream>
#include <string>
#include <vector>

using namespace tasker;
using namespace std::chrono_literals;

TEST_CASE("replay_changes: task and step changes come in the order of their seq", "[unit][core]")
{
    decision d;
    d.step_changes = {{0, step_state::enqueued_for_orchestration, step_state::complete, step_event::complete, 0},
                      {1, step_state::pending, step_state::enqueued, step_event::enqueue, 2}};
    d.task_changes = {{task_state::steps_in_process, task_state::evaluating_results, task_event::step_completed, 1},
                      {task_state::evaluating_results, task_state::steps_in_process, task_event::ready_steps_found, 3}};
    std::vector<step_status> steps(2);
    steps[0] = {step_state::enqueued_for_orchestration, 1, error_kind::retryable, {}};
    std::vector<std::string> seen;
    replay_changes(
        d, steps, [&](const task_change& c) { seen.push_back("task " + std::to_string(c.seq)); },
        [&](const step_change& c) {
            CHECK(steps[c.step].state == c.to); // applied before the store sees it
            seen.push_back("step " + std::to_string(c.seq));
        });
    CHECK(seen == std::vector<std::string>{"step 0", "task 1", "step 2", "task 3"});
    CHECK(steps[0].state == step_state::complete);
    CHECK(steps[1].state == step_state::enqueued);
}

TEST_CASE("replay_changes: a reset gives the step fresh attempts and clears its failure", "[unit][core]")
{
    decision d;
    d.step_changes = {{0, step_state::error, step_state::pending, step_event::reset, 0}};
    std::vector<step_status> steps{{step_state::error, 3, error_kind::permanent, 5s}};
    bool cleared = false;
    replay_changes(
        d, steps, [](const task_change&) { FAIL("no task change"); },
        [&](const step_change& c) { cleared = clears_failure(c); });
    CHECK(cleared);
    CHECK(steps[0].state == step_state::pending);
    CHECK(steps[0].attempts == 0);
    CHECK_FALSE(steps[0].retry_after);
    CHECK_FALSE(clears_failure({0, step_state::in_progress, step_state::error, step_event::fail, 0}));
}

TEST_CASE("summarize_dead_letter: one clause per failed step, with its attempts and failure", "[unit][core]")
{
    const auto tmpl = test::diamond();
    std::vector<step_status> steps(4);
    steps[1].attempts = 3;
    steps[2].attempts = 1;
    const step_failure declined{error_kind::retryable, "card declined", {}, 3};
    const step_failure gone{error_kind::permanent, "no such customer", {}, 1};
    const std::vector<std::uint32_t> failed{1, 2, 3};
    const std::vector<const step_failure*> failures{&declined, &gone, nullptr};
    const auto summary = summarize_dead_letter(*tmpl, steps, failed, failures);
    CHECK(summary.failed_steps == std::vector<std::string>{"b", "c", "end"});
    CHECK(summary.reason == "step 'b' failed after 3 attempts (retryable): card declined; "
                            "step 'c' failed after 1 attempt (permanent): no such customer; "
                            "step 'end' failed");
}

TEST_CASE("summarize_dead_letter: nothing failed, nothing said", "[unit][core]")
{
    const auto tmpl = test::diamond();
    std::vector<step_status> steps(4);
    const auto summary = summarize_dead_letter(*tmpl, steps, {}, {});
    CHECK(summary.reason.empty());
    CHECK(summary.failed_steps.empty());
}

TEST_CASE("resolved_step_result: only a resolved step gets the operator's result", "[unit][core]")
{
    const auto given = std::make_shared<const json::value>(json::object{{"by", "hand"}});
    const auto resolved = resolved_step_result(input::resolve_step{2}, action::resolve_step{"c", given});
    REQUIRE(resolved);
    CHECK(resolved->first == 2);
    CHECK(resolved->second == given);
    CHECK_FALSE(resolved_step_result(input::reset_step{2}, action::reset_step{"c"}));
    CHECK_FALSE(resolved_step_result(input::cancel{}, action::cancel{}));
}

TEST_CASE("outgoing_queue names each queue", "[unit][core]")
{
    CHECK(to_string(outgoing_queue::worker) == "worker");
    CHECK(to_string(outgoing_queue::orchestration) == "orchestration");
    std::ostringstream os;
    os << outgoing_queue::orchestration;
    CHECK(os.str() == "orchestration");
}
