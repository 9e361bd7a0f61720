#include <tasker/core/claim_verdict.hpp>

namespace tasker {

claim_verdict judge_claim(const step_status& s, const step_lease& lease, const claim_request& req,
                          time_point now) noexcept
{
    if (s.state == step_state::enqueued && s.attempts + 1 == req.attempt)
        return claim_verdict::claim;
    if (s.state != step_state::in_progress || s.attempts != req.attempt)
        return claim_verdict::stale;
    // A claim asked again by its owner (its answer was lost) is the owner's still.
    if (!req.owner.is_nil() && lease.owner == req.owner && lease.until)
        return claim_verdict::claim_kept;
    if (lease.until && *lease.until > now)
        return claim_verdict::busy;
    return claim_verdict::lost;
}

step_failure lost_worker_failure(std::uint32_t attempt)
{
    return step_failure{error_kind::timeout, "worker lost: its lease on the step expired", std::nullopt, attempt};
}

} // namespace tasker
