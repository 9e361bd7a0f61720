#include <tasker/core/claim_verdict.hpp>

#include "support/catch.hpp"

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
    CHECK(judge_claim(in(step_state::enqueued, 0), {}, asking(1), now) == claim_verdict::claim);
    CHECK(judge_claim(in(step_state::enqueued, 2), {}, asking(3), now) == claim_verdict::claim);
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
    CHECK(judge_claim(running, step_lease{now + 10s, mine}, asking(1), now) == claim_verdict::claim_kept);
    // The owner asking again gets its claim back even once the lease ran out: it is still there.
    CHECK(judge_claim(running, step_lease{now - 1s, mine}, asking(1), now) == claim_verdict::claim_kept);
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
