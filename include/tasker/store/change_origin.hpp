#pragma once

#include <tasker/model/json.hpp>
#include <tasker/model/uuid.hpp>

#include <string>

namespace tasker {

/// Who made a change and why: recorded on every transition row the change writes, so a
/// task's history says which worker ran an attempt, which orchestrator moved the task on,
/// and which operator reset a step and for what reason.
///
/// `actor` reads `<kind>:<name>`: `worker:<owner token>` for a worker's claims and results,
/// `orchestrator:<name>` for decisions and staleness, `operator:<name>` for manual actions,
/// `client:<name>` for submission and cancellation by an application.
struct change_origin {
    std::string actor;
    std::string reason;  ///< why, in words (empty for the normal flow)
    json_ptr metadata;   ///< anything else worth keeping (a ticket id, the staleness figures); may be null

    bool empty() const noexcept { return actor.empty() && reason.empty() && !metadata; }
    friend bool operator==(const change_origin&, const change_origin&) = default;
};

/// The actor of a worker's claims and results: `worker:<owner token>` (`worker` for none).
std::string worker_actor(const uuid& owner);

/// This process as an actor's name: `<host name>/<pid>` (stores default their orchestration
/// actor to `orchestrator:` followed by it).
std::string process_name();

/// The longest `actor` and `reason` a store accepts.
inline constexpr std::size_t max_actor_length = 200;
inline constexpr std::size_t max_reason_length = 2000;

} // namespace tasker
