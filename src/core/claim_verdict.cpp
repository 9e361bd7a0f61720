#include <tasker/core/claim_verdict.hpp>

#include <ostream>

namespace tasker {

std::string_view to_string(claim_verdict v) noexcept
{
    switch (v) {
    case claim_verdict::grant: return "grant";
    case claim_verdict::grant_again: return "grant_again";
    case claim_verdict::busy: return "busy";
    case claim_verdict::lost: return "lost";
    case claim_verdict::stale: return "stale";
    }
    return "unknown claim_verdict";
}

std::ostream& operator<<(std::ostream& os, claim_verdict v)
{
    return os << to_string(v);
}

claim_verdict judge_claim(const step_status& s, const step_lease& lease, const claim_request& req,
                          time_point now) noexcept
{
    if (s.state == step_state::enqueued && s.attempts + 1 == req.attempt)
        return claim_verdict::grant;
    if (s.state != step_state::in_progress || s.attempts != req.attempt)
        return claim_verdict::stale;
    // A claim asked again by its owner (its answer was lost) is the owner's still.
    if (!req.owner.is_nil() && lease.owner == req.owner && lease.until)
        return claim_verdict::grant_again;
    if (lease.until && *lease.until > now)
        return claim_verdict::busy;
    return claim_verdict::lost;
}

step_failure lost_worker_failure(std::uint32_t attempt)
{
    return step_failure{error_kind::timeout, "worker lost: its lease on the step expired", std::nullopt, attempt};
}

claim_settlement settle_claim(step_status& s, const step_lease& lease, const claim_request& req, time_point now)
{
    claim_settlement out;
    out.verdict = judge_claim(s, lease, req, now);
    switch (out.verdict) {
    case claim_verdict::grant:
        ++s.attempts;
        out.answer = claim_status::claimed;
        out.event = step_event::claim;
        out.lease_until = now + req.lease;
        out.new_lease = true;
        break;
    case claim_verdict::grant_again:
        out.answer = claim_status::claimed;
        out.lease_until = lease.until;
        break;
    case claim_verdict::busy:
        out.answer = claim_status::busy;
        out.retry_in = *lease.until - now;
        break;
    case claim_verdict::lost:
        s.last_error = error_kind::timeout;
        s.retry_after.reset();
        out.answer = claim_status::lost;
        out.event = step_event::fail;
        out.failure = lost_worker_failure(s.attempts);
        out.to_orchestration = message{message_kind::step_result, req.ref.step, s.attempts, req.ref.task};
        break;
    case claim_verdict::stale: out.answer = claim_status::stale; break;
    }
    return out;
}

bool extends_lease(const step_status& s, std::uint32_t attempt) noexcept
{
    return s.state == step_state::in_progress && s.attempts == attempt;
}

std::optional<result_settlement> settle_result(step_status& s, step_outcome& o)
{
    if (s.state != step_state::in_progress || s.attempts != o.attempt)
        return std::nullopt;
    result_settlement out;
    out.to_orchestration = message{message_kind::step_result, o.ref.step, o.attempt, o.ref.task};
    if (o.success) {
        out.event = step_event::succeed;
        return out;
    }
    step_failure f = o.failure ? std::move(*o.failure) : step_failure{};
    f.attempt = s.attempts;
    s.last_error = f.kind;
    s.retry_after = f.retry_after;
    out.event = step_event::fail;
    out.failure = std::move(f);
    return out;
}

} // namespace tasker
