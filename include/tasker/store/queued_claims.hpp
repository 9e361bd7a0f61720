#pragma once

#include <tasker/messaging/delivery.hpp>
#include <tasker/store/step_claim.hpp>

#include <vector>

namespace tasker {

/// Step messages read from a worker queue and the claim of each: `outcomes[k]` is the claim
/// of the step `deliveries[k]` names. What `queue_reading_store::claim_queued` returns.
struct queued_claims {
    std::vector<delivery> deliveries;
    std::vector<claim_outcome> outcomes;
};

} // namespace tasker
