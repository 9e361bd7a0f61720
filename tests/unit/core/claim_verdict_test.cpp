#include <tasker/core/claim_verdict.hpp>

#include "support/catch.hpp"

#include <sstream>
#include <tuple>
#include <vector>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

const time_point now = time_point{} + 1000s;
const uuid mine = uuid::v7(std::chrono::system_clock::now(), 1, 1);
const uuid theirs = uuid::v7(std::chrono::system_clock::now(), 2, 2);

claim_request asking(std::uint32_t attempt, uuid owner = mine) { return {{uuid{}, 0}, attempt, 30s, owner}; }

step_status in(step_state state, std::uint32_t attempts) { return {state, attempts, error_kind::retryable, {}}; }

} // namespace

TEST_CASE("judge_claim: an enqueued step is claimed for the next attempt only", "[unit][claim]")
{
    CHECK(judge_claim(in(step_state::enqueued, 0), {}, asking(1), now) == claim_verdict::grant);
    CHECK(judge_claim(in(step_state::enqueued, 2), {}, asking(3), now) == claim_verdict::grant);
    CHECK(judge_claim(in(step_state::enqueued, 2), {}, asking(2), now) == claim_verdict::stale); // an old message
    CHECK(judge_claim(in(step_state::enqueued, 2), {}, asking(5), now) == claim_verdict::stale);
}

TEST_CASE("judge_claim: a running attempt is its owner's, busy for others, lost once its lease ends",
          "[unit][claim]")
{
    const auto running = in(step_state::in_progress, 1);
    const step_lease held{now + 10s, theirs};
    CHECK(judge_claim(running, held, asking(1), now) == claim_verdict::busy);
    CHECK(judge_claim(running, held, asking(1, uuid{}), now) == claim_verdict::busy); // no owner given
    CHECK(judge_claim(running, step_lease{now + 10s, mine}, asking(1), now) == claim_verdict::grant_again);
    // The owner asking again gets its claim back even once the lease ran out: it is still there.
    CHECK(judge_claim(running, step_lease{now - 1s, mine}, asking(1), now) == claim_verdict::grant_again);
    CHECK(judge_claim(running, step_lease{now - 1s, theirs}, asking(1), now) == claim_verdict::lost);
    CHECK(judge_claim(running, step_lease{now, theirs}, asking(1), now) == claim_verdict::lost); // ends at `until`
    CHECK(judge_claim(running, step_lease{std::nullopt, theirs}, asking(1), now) == claim_verdict::lost);
    CHECK(judge_claim(running, held, asking(2), now) == claim_verdict::stale); // another attempt
}

TEST_CASE("judge_claim: a step anywhere else has nothing to claim", "[unit][claim]")
{
    for (auto s : {step_state::pending, step_state::enqueued_for_orchestration,
                   step_state::enqueued_as_error_for_orchestration, step_state::waiting_for_retry, step_state::error,
                   step_state::complete, step_state::cancelled, step_state::resolved_manually})
        CHECK(judge_claim(in(s, 1), step_lease{now + 10s, mine}, asking(1), now) == claim_verdict::stale);
}

TEST_CASE("lost_worker_failure: a timeout naming the attempt", "[unit][claim]")
{
    const auto f = lost_worker_failure(3);
    CHECK(f.kind == error_kind::timeout);
    CHECK(f.attempt == 3);
    CHECK_FALSE(f.retry_after);
    CHECK(f.message == "worker lost: its lease on the step expired");
}

TEST_CASE("claim_verdict names each verdict", "[unit][claim]")
{
    CHECK(to_string(claim_verdict::grant) == "grant");
    CHECK(to_string(claim_verdict::grant_again) == "grant_again");
    CHECK(to_string(claim_verdict::busy) == "busy");
    CHECK(to_string(claim_verdict::lost) == "lost");
    CHECK(to_string(claim_verdict::stale) == "stale");
    CHECK(to_string(static_cast<claim_verdict>(200)) == "unknown claim_verdict");
    std::ostringstream os;
    os << claim_verdict::grant_again;
    CHECK(os.str() == "grant_again");
}

TEST_CASE("settle_claim: a granted claim takes one attempt more and a new lease from now", "[unit][claim]")
{
    auto s = in(step_state::enqueued, 1);
    const auto settled = settle_claim(s, {}, asking(2), now);
    CHECK(settled.verdict == claim_verdict::grant);
    CHECK(settled.answer == claim_status::claimed);
    CHECK(s.attempts == 2);
    CHECK(s.state == step_state::enqueued); // the store moves the step, with its history
    CHECK(settled.event == step_event::claim);
    CHECK(settled.new_lease);
    CHECK(settled.lease_until == now + 30s);
    CHECK_FALSE(settled.failure);
    CHECK_FALSE(settled.to_orchestration);
}

TEST_CASE("settle_claim: the owner asking again gets the lease as it is, and nothing is written",
          "[unit][claim]")
{
    auto s = in(step_state::in_progress, 1);
    const auto before = s;
    const auto settled = settle_claim(s, step_lease{now + 5s, mine}, asking(1), now);
    CHECK(settled.answer == claim_status::claimed);
    CHECK(s == before);
    CHECK_FALSE(settled.event);
    CHECK_FALSE(settled.new_lease);
    CHECK(settled.lease_until == now + 5s);
}

TEST_CASE("settle_claim: busy says when the holding lease ends, and changes nothing", "[unit][claim]")
{
    auto s = in(step_state::in_progress, 1);
    const auto before = s;
    const auto settled = settle_claim(s, step_lease{now + 7s, theirs}, asking(1), now);
    CHECK(settled.answer == claim_status::busy);
    CHECK(settled.retry_in == 7s);
    CHECK(s == before);
    CHECK_FALSE(settled.event);
    CHECK_FALSE(settled.lease_until);
}

TEST_CASE("settle_claim: a lost worker's attempt fails as a timeout and the orchestrator is told",
          "[unit][claim]")
{
    step_status s{step_state::in_progress, 2, error_kind::permanent, 4s};
    auto req = asking(2);
    req.ref = {uuid::v7(std::chrono::system_clock::now(), 3, 3), 5};
    const auto settled = settle_claim(s, step_lease{now - 1s, theirs}, req, now);
    CHECK(settled.answer == claim_status::lost);
    CHECK(settled.event == step_event::fail);
    CHECK(s.attempts == 2);
    CHECK(s.last_error == error_kind::timeout);
    CHECK_FALSE(s.retry_after); // no handler asked for a delay
    REQUIRE(settled.failure);
    CHECK(settled.failure->attempt == 2);
    CHECK(settled.failure->kind == error_kind::timeout);
    REQUIRE(settled.to_orchestration);
    CHECK(*settled.to_orchestration == message{message_kind::step_result, 5, 2, req.ref.task});
}

TEST_CASE("settle_claim: a stale request changes nothing", "[unit][claim]")
{
    auto s = in(step_state::complete, 1);
    const auto before = s;
    const auto settled = settle_claim(s, {}, asking(2), now);
    CHECK(settled.answer == claim_status::stale);
    CHECK(s == before);
    CHECK_FALSE(settled.event);
    CHECK_FALSE(settled.to_orchestration);
}

TEST_CASE("extends_lease: only the running attempt's heartbeat counts", "[unit][claim]")
{
    CHECK(extends_lease(in(step_state::in_progress, 2), 2));
    CHECK_FALSE(extends_lease(in(step_state::in_progress, 2), 1)); // an attempt taken over
    CHECK_FALSE(extends_lease(in(step_state::in_progress, 2), 3));
    CHECK_FALSE(extends_lease(in(step_state::enqueued_for_orchestration, 2), 2)); // already recorded
    CHECK_FALSE(extends_lease(in(step_state::cancelled, 2), 2));
}

namespace {

step_outcome outcome(std::uint32_t attempt, bool success)
{
    step_outcome o;
    o.ref = {uuid::v7(std::chrono::system_clock::now(), 4, 4), 1};
    o.attempt = attempt;
    o.success = success;
    if (success)
        o.result = std::make_shared<const json::value>(json::object{{"ok", true}});
    return o;
}

} // namespace

TEST_CASE("settle_result: a success of the running attempt is recorded and told", "[unit][result]")
{
    auto s = in(step_state::in_progress, 1);
    auto o = outcome(1, true);
    const auto settled = settle_result(s, o);
    REQUIRE(settled);
    CHECK(settled->event == step_event::succeed);
    CHECK_FALSE(settled->failure);
    CHECK(settled->to_orchestration == message{message_kind::step_result, 1, 1, o.ref.task});
    CHECK(o.result); // left for the store to write
}

TEST_CASE("settle_result: a failure keeps its kind and requested delay, for decide", "[unit][result]")
{
    auto s = in(step_state::in_progress, 3);
    auto o = outcome(3, false);
    o.failure = step_failure{error_kind::permanent, "card declined", 9s, 0};
    const auto settled = settle_result(s, o);
    REQUIRE(settled);
    CHECK(settled->event == step_event::fail);
    REQUIRE(settled->failure);
    CHECK(settled->failure->attempt == 3); // the store's count, whatever the worker said
    CHECK(settled->failure->message == "card declined");
    CHECK(s.last_error == error_kind::permanent);
    CHECK(s.retry_after == 9s);
}

TEST_CASE("settle_result: a failure without details is a retryable one", "[unit][result]")
{
    auto s = in(step_state::in_progress, 1);
    auto o = outcome(1, false);
    const auto settled = settle_result(s, o);
    REQUIRE(settled);
    REQUIRE(settled->failure);
    CHECK(settled->failure->kind == error_kind::retryable);
    CHECK(s.last_error == error_kind::retryable);
}

TEST_CASE("settle_result: a result that comes too late writes nothing", "[unit][result]")
{
    for (const auto& [state, attempts, attempt] :
         std::vector<std::tuple<step_state, std::uint32_t, std::uint32_t>>{{step_state::in_progress, 2, 1},
                                                                           {step_state::cancelled, 1, 1},
                                                                           {step_state::resolved_manually, 1, 1},
                                                                           {step_state::enqueued, 1, 1}}) {
        auto s = in(state, attempts);
        const auto before = s;
        auto o = outcome(attempt, false);
        o.failure = step_failure{error_kind::permanent, "late", 1s, 0};
        CHECK_FALSE(settle_result(s, o));
        CHECK(s == before);
    }
}
