#pragma once

#include <tasker/core/decision.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/step_claim.hpp>
#include <tasker/store/step_outcome.hpp>

#include <cstdint>
#include <optional>

namespace tasker {

/// What a claim request finds a step in. Claims are compare-and-set on the attempt
/// (DESIGN "Flow of one task"); every store decides them with `judge_claim`, then acts.
enum class claim_verdict : std::uint8_t {
    claim,      ///< enqueued for exactly this attempt: claim it (attempts + 1, a new lease)
    claim_kept, ///< this owner's claim already (its answer was lost): answer it again as it is
    busy,       ///< another claim holds this attempt and its lease runs: try again when it ends
    lost,       ///< this attempt's lease ran out: its worker is lost, fail the attempt (timeout)
    stale,      ///< the step moved on, or the attempt is not the next one: nothing to claim
};

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

} // namespace tasker
