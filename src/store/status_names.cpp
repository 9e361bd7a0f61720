#include <tasker/store/step_claim.hpp>
#include <tasker/store/step_outcome.hpp>

#include <ostream>

namespace tasker {

std::string_view to_string(claim_status s) noexcept
{
    switch (s) {
    case claim_status::claimed: return "claimed";
    case claim_status::stale: return "stale";
    case claim_status::busy: return "busy";
    case claim_status::lost: return "lost";
    case claim_status::not_found: return "not_found";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, claim_status s) { return os << to_string(s); }

std::string_view to_string(record_status s) noexcept
{
    switch (s) {
    case record_status::recorded: return "recorded";
    case record_status::ignored: return "ignored";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, record_status s) { return os << to_string(s); }

} // namespace tasker
