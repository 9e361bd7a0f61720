#include <tasker/state/step_machine.hpp>
#include <tasker/state/task_machine.hpp>

#include "support/catch.hpp"

#include <set>
#include <tuple>

using namespace tasker;

TEST_CASE("task machine: the table has the designed rows and every state", "[unit][state]")
{
    const auto rules = task_machine::rules();
    CHECK(rules.size() == 41);
    std::set<task_state> seen;
    for (const auto& r : rules) {
        seen.insert(r.from);
        seen.insert(r.to);
    }
    CHECK(seen.size() == task_state_count);
    // Terminal states have no way out, except the operator's reset/resolution of an error.
    for (const auto& r : rules) {
        if (r.from == task_state::error)
            CHECK((r.event == task_event::reset || r.event == task_event::manual_resolution));
        else
            CHECK_FALSE(is_terminal(r.from));
    }
}

TEST_CASE("task machine: next() agrees with the live MSM machine on every pair", "[unit][state]")
{
    std::set<std::tuple<task_state, task_event, task_state>> legal;
    for (const auto& r : task_machine::rules())
        legal.insert({r.from, r.event, r.to});
    for (std::size_t s = 0; s < task_state_count; ++s)
        for (std::size_t e = 0; e < task_event_count; ++e) {
            const auto from = static_cast<task_state>(s);
            const auto ev = static_cast<task_event>(e);
            task_machine m(from);
            REQUIRE(m.state() == from);
            auto live = m.process(ev);
            auto fast = task_machine::next(from, ev);
            REQUIRE(live.has_value() == fast.has_value());
            if (fast) {
                CHECK(*live == *fast);
                CHECK(m.state() == *fast);
                CHECK(legal.count({from, ev, *fast}) == 1);
            } else {
                CHECK(m.state() == from); // rejected events leave the machine where it was
                CHECK(fast.error() == errc::illegal_transition);
            }
        }
}

TEST_CASE("task machine: an illegal transition is a typed error naming state and event", "[unit][state]")
{
    auto r = task_machine::next(task_state::complete, task_event::start);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::illegal_transition);
    CHECK(r.error().message == "task cannot 'start' in state 'complete'");
    CHECK(r.error() == condition::permanent);
}

TEST_CASE("task machine: every non-terminal state can be cancelled", "[unit][state]")
{
    for (std::size_t s = 0; s < task_state_count; ++s) {
        const auto from = static_cast<task_state>(s);
        auto r = task_machine::next(from, task_event::cancel);
        CHECK(r.has_value() == !is_terminal(from));
        if (r)
            CHECK(*r == task_state::cancelled);
    }
}

TEST_CASE("step machine: the happy path and the retry loop", "[unit][state]")
{
    step_machine m(step_state::pending);
    CHECK(*m.process(step_event::enqueue) == step_state::enqueued);
    CHECK(*m.process(step_event::claim) == step_state::in_progress);
    CHECK(*m.process(step_event::fail) == step_state::enqueued_as_error_for_orchestration);
    CHECK(*m.process(step_event::wait_for_retry) == step_state::waiting_for_retry);
    CHECK(*m.process(step_event::retry) == step_state::enqueued);
    CHECK(*m.process(step_event::claim) == step_state::in_progress);
    CHECK(*m.process(step_event::succeed) == step_state::enqueued_for_orchestration);
    CHECK(*m.process(step_event::complete) == step_state::complete);
    auto again = m.process(step_event::claim);
    REQUIRE_FALSE(again);
    CHECK(again.error().message == "step cannot 'claim' in state 'complete'");
}

TEST_CASE("step machine: next() agrees with the live MSM machine on every pair", "[unit][state]")
{
    CHECK(step_machine::rules().size() == 38);
    for (std::size_t s = 0; s < step_state_count; ++s)
        for (std::size_t e = 0; e < step_event_count; ++e) {
            const auto from = static_cast<step_state>(s);
            const auto ev = static_cast<step_event>(e);
            step_machine m(from);
            auto live = m.process(ev);
            auto fast = step_machine::next(from, ev);
            REQUIRE(live.has_value() == fast.has_value());
            if (fast)
                CHECK(*live == *fast);
            else
                CHECK(m.state() == from);
        }
}

TEST_CASE("step machine: terminal states accept nothing, error only an operator's actions", "[unit][state]")
{
    for (auto s : {step_state::complete, step_state::cancelled, step_state::resolved_manually})
        for (std::size_t e = 0; e < step_event_count; ++e)
            CHECK_FALSE(step_machine::next(s, static_cast<step_event>(e)));
    std::set<step_event> from_error;
    for (const auto& r : step_machine::rules())
        if (r.from == step_state::error)
            from_error.insert(r.event);
    CHECK(from_error == std::set<step_event>{step_event::reset, step_event::cancel, step_event::resolve,
                                             step_event::complete_manually});
}

TEST_CASE("machines: every live task can expire to error, and so can every unfinished step", "[unit][state]")
{
    for (std::size_t s = 0; s < task_state_count; ++s) {
        const auto from = static_cast<task_state>(s);
        INFO(from);
        auto to = task_machine::next(from, task_event::expire);
        CHECK(to.has_value() == !is_terminal(from));
        if (to)
            CHECK(*to == task_state::error);
    }
    for (auto from : {step_state::enqueued, step_state::in_progress, step_state::enqueued_for_orchestration,
                      step_state::enqueued_as_error_for_orchestration, step_state::waiting_for_retry})
        CHECK(step_machine::next(from, step_event::expire).value() == step_state::error);
    // A pending step has not started: nothing of it is stale.
    CHECK_FALSE(step_machine::next(step_state::pending, step_event::expire));
}

TEST_CASE("state and event names round-trip", "[unit][state]")
{
    for (std::size_t s = 0; s < task_state_count; ++s)
        CHECK(task_state_from_string(to_string(static_cast<task_state>(s))) == static_cast<task_state>(s));
    for (std::size_t s = 0; s < step_state_count; ++s)
        CHECK(step_state_from_string(to_string(static_cast<step_state>(s))) == static_cast<step_state>(s));
    for (std::size_t e = 0; e < task_event_count; ++e)
        CHECK(task_event_from_string(to_string(static_cast<task_event>(e))) == static_cast<task_event>(e));
    for (std::size_t e = 0; e < step_event_count; ++e)
        CHECK(step_event_from_string(to_string(static_cast<step_event>(e))) == static_cast<step_event>(e));
    CHECK_FALSE(task_state_from_string("done"));
}
