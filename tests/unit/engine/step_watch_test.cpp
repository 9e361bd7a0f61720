// The worker's watch over a step running on the handler pool, fed by hand: no I/O, no clock.
#include <tasker/engine/detail/step_watch.hpp>

#include "support/catch.hpp"

using namespace tasker;
using namespace std::chrono_literals;
using detail::step_watch;
using detail::step_watch_action_type;

namespace {

const time_point t0 = time_point{} + 1000s;

detail::step_watch_input at(duration since_start)
{
    return {.now = t0 + since_start};
}

} // namespace

TEST_CASE("step watch: waits a heartbeat interval, heartbeats, and records the handler's outcome", "[unit][engine]")
{
    step_watch w(t0 + 60s, 10s);
    auto next = w.resume(at(0s));
    CHECK(next.type == step_watch_action_type::wait);
    CHECK(next.until == t0 + 10s);

    next = w.resume(at(10s)); // the wait ended with nothing else to do
    CHECK(next.type == step_watch_action_type::heartbeat);
    next = w.resume(at(10s)); // the store says the step is still ours
    CHECK(next.type == step_watch_action_type::wait);
    CHECK(next.until == t0 + 20s);

    auto returned = at(13s);
    returned.handler_returned = true;
    next = w.resume(returned);
    CHECK(next.type == step_watch_action_type::record_outcome);
    CHECK(w.finished());
}

TEST_CASE("step watch: a handler that returned before the first look is recorded at once", "[unit][engine]")
{
    step_watch w(t0 + 60s, 10s);
    auto in = at(0s);
    in.handler_returned = true;
    CHECK(w.resume(in).type == step_watch_action_type::record_outcome);
    CHECK(w.finished());
}

TEST_CASE("step watch: the last wait ends at the deadline, which times the step out", "[unit][engine]")
{
    step_watch w(t0 + 25s, 10s);
    CHECK(w.resume(at(0s)).until == t0 + 10s);
    CHECK(w.resume(at(10s)).type == step_watch_action_type::heartbeat);
    CHECK(w.resume(at(10s)).until == t0 + 20s);
    CHECK(w.resume(at(20s)).type == step_watch_action_type::heartbeat);
    auto next = w.resume(at(20s));
    CHECK(next.type == step_watch_action_type::wait);
    CHECK(next.until == t0 + 25s); // not a heartbeat past the deadline
    CHECK(w.resume(at(25s)).type == step_watch_action_type::time_out);
    CHECK(w.finished());
}

TEST_CASE("step watch: a heartbeat answered 'not yours' gives the step up", "[unit][engine]")
{
    step_watch w(t0 + 60s, 10s);
    (void)w.resume(at(0s));
    CHECK(w.resume(at(10s)).type == step_watch_action_type::heartbeat);
    auto answer = at(10s);
    answer.still_owned = false;
    CHECK(w.resume(answer).type == step_watch_action_type::abandon_not_owned);
    CHECK(w.finished());
}

TEST_CASE("step watch: a heartbeat the store could not answer keeps the step", "[unit][engine]")
{
    // The worker resumes with still_owned = true when the extension failed: only a store's
    // answer that the attempt is no longer ours gives the step up.
    step_watch w(t0 + 60s, 10s);
    (void)w.resume(at(0s));
    CHECK(w.resume(at(10s)).type == step_watch_action_type::heartbeat);
    CHECK(w.resume(at(10s)).type == step_watch_action_type::wait);
}

TEST_CASE("step watch: a forced stop abandons the step, unless its handler returned", "[unit][engine]")
{
    SECTION("forced while waiting")
    {
        step_watch w(t0 + 60s, 10s);
        (void)w.resume(at(0s));
        auto forced = at(4s);
        forced.forced = true;
        CHECK(w.resume(forced).type == step_watch_action_type::abandon_for_shutdown);
        CHECK(w.finished());
    }
    SECTION("forced as the handler returned: the outcome is recorded")
    {
        step_watch w(t0 + 60s, 10s);
        (void)w.resume(at(0s));
        auto both = at(4s);
        both.forced = true;
        both.handler_returned = true;
        CHECK(w.resume(both).type == step_watch_action_type::record_outcome);
    }
    SECTION("forced after the deadline: abandoned, not timed out")
    {
        step_watch w(t0 + 5s, 10s);
        (void)w.resume(at(0s));
        auto late = at(7s);
        late.forced = true;
        CHECK(w.resume(late).type == step_watch_action_type::abandon_for_shutdown);
    }
}

TEST_CASE("step watch: once over, it repeats its last action", "[unit][engine]")
{
    step_watch w(t0 + 5s, 10s);
    CHECK(w.resume(at(6s)).type == step_watch_action_type::time_out);
    CHECK(w.resume(at(7s)).type == step_watch_action_type::time_out);
}
