#pragma once

#include <tasker/core/decision.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/step_claim.hpp>
#include <tasker/store/step_outcome.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace tasker {

/// What a claim request finds a step in. Claims are compare-and-set on the attempt
/// (DESIGN "Flow of one task"); every store decides them with `settle_claim`, then writes.
enum class claim_verdict : std::uint8_t {
    grant,       ///< enqueued for exactly this attempt: claim it (attempts + 1, a new lease)
    grant_again, ///< this owner's claim already (its answer was lost): answer it again as it is
    busy,        ///< another claim holds this attempt and its lease runs: try again when it ends
    lost,        ///< this attempt's lease ran out: its worker is lost, fail the attempt (timeout)
    stale,       ///< the step moved on, or the attempt is not the next one: nothing to claim
};

std::string_view to_string(claim_verdict v) noexcept;
std::ostream& operator<<(std::ostream& os, claim_verdict v);

/// The lease on a step's current attempt, as a store keeps it.
struct step_lease {
    std::optional<time_point> until; ///< none: never leased
    uuid owner{};                    ///< the claim's owner token (nil: none given)
};

/// The verdict on `req` for a step in `s` holding `lease`, at `now`. Pure: no I/O, no clock.
claim_verdict judge_claim(const step_status& s, const step_lease& lease, const claim_request& req,
                          time_point now) noexcept;

/// The failure a store records for an attempt whose worker was lost (`claim_verdict::lost`).
step_failure lost_worker_failure(std::uint32_t attempt);

/// What a store writes for one claim request, as `settle_claim` decides it.
struct claim_settlement {
    claim_verdict verdict = claim_verdict::stale;
    claim_status answer = claim_status::stale; ///< what the worker is told
    /// The step's move: `claim` when granted, `fail` when its worker was lost; none otherwise.
    std::optional<step_event> event;
    /// Granted: the new lease ends here, held by the request's owner (the store writes it).
    /// Granted again: the lease as it is. None otherwise.
    std::optional<time_point> lease_until;
    bool new_lease = false; ///< the lease is to be written (granted), not only answered
    /// Lost: the failure recorded for the attempt, and the step_result message that tells the
    /// orchestrator about it.
    std::optional<step_failure> failure;
    std::optional<message> to_orchestration;
    duration retry_in{}; ///< busy: until the holding lease ends
};

/// Judges `req` (`judge_claim`) and applies the verdict to `s` the way every store must:
/// granted, one attempt more and a lease of `req.lease` from `now`; lost, the attempt fails
/// as a timeout (no handler-requested delay) and the orchestrator hears of it. The store
/// persists what it returns and the changed `s`. Pure.
claim_settlement settle_claim(step_status& s, const step_lease& lease, const claim_request& req, time_point now);

/// Whether a heartbeat for `attempt` extends the lease of a step in `s`: only the attempt
/// that is running. A heartbeat changes neither state nor history.
bool extends_lease(const step_status& s, std::uint32_t attempt) noexcept;

/// What a store writes for a worker's result, as `settle_result` decides it.
struct result_settlement {
    step_event event = step_event::succeed;  ///< `succeed` or `fail`
    std::optional<step_failure> failure;     ///< fail: what is recorded, its attempt set
    message to_orchestration;                ///< the step_result message the orchestrator acts on
};

/// Judges a worker's result for a step in `s`: none when that attempt is no longer running
/// (it timed out, was cancelled, resolved or taken over) — the store writes nothing and
/// answers `record_status::ignored`. A failure's kind and requested delay go into `s`, for
/// `decide` to choose a retry. `o.failure` is moved from; `o.result` is left for the store.
std::optional<result_settlement> settle_result(step_status& s, step_outcome& o);

} // namespace tasker
