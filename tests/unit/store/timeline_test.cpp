#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"
#include "support/templates.hpp"

using namespace tasker;
using namespace std::chrono_literals;

TEST_CASE("timeline: per step, per attempt, with times, durations and the last error", "[unit][timeline]")
{
    task_view v;
    v.tmpl = test::make_template({{"charge"}, {"ship", {"charge"}}});
    v.id = uuid::v7(std::chrono::system_clock::now(), 1, 2);
    v.state = task_state::error;
    v.created_at = time_point{} + 1000s;
    const auto at = [&](int ms) { return v.created_at + std::chrono::milliseconds(ms); };
    v.task_transitions = {{1, task_state::pending, task_state::initializing, task_event::start, at(0)},
                          {9, task_state::blocked_by_failures, task_state::error, task_event::give_up, at(40)}};
    using ss = step_state;
    using se = step_event;
    v.step_transitions = {
        {2, 0, 0, ss::pending, ss::enqueued, se::enqueue, at(0)},
        {3, 0, 1, ss::enqueued, ss::in_progress, se::claim, at(1)},
        {4, 0, 1, ss::in_progress, ss::enqueued_as_error_for_orchestration, se::fail, at(6)},
        {5, 0, 1, ss::enqueued_as_error_for_orchestration, ss::waiting_for_retry, se::wait_for_retry, at(7)},
        {6, 0, 1, ss::waiting_for_retry, ss::enqueued, se::retry, at(20)},
        {7, 0, 2, ss::enqueued, ss::in_progress, se::claim, at(21)},
        {8, 0, 2, ss::in_progress, ss::enqueued_as_error_for_orchestration, se::fail, at(30)},
    };
    v.steps = {{0, "charge", ss::error, 2, nullptr, step_failure{error_kind::permanent, "card declined", std::nullopt, 2}},
               {1, "ship", ss::pending, 0, nullptr, std::nullopt}};
    const auto text = format_timeline(v);
    INFO(text);
    CHECK(text.find("tests/wf@1.0.0 task " + v.id.to_string() + ": error after 40.0 ms") == 0);
    CHECK(text.find("charge  1  enqueued @0.0 -> in_progress @1.0 -> enqueued_as_error_for_orchestration @6.0 -> "
                    "waiting_for_retry @7.0  (ran 5.0 ms)") != std::string::npos);
    CHECK(text.find("2  enqueued @20.0 -> in_progress @21.0 -> enqueued_as_error_for_orchestration @30.0  (ran 9.0 ms)") !=
          std::string::npos);
    CHECK(text.find("last error (attempt 2, permanent): card declined") != std::string::npos);
    CHECK(text.find("ship    -  pending") != std::string::npos);
}
