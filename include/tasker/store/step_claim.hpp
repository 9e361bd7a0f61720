#pragma once

#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/step_ref.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tasker {

/// A worker asks to run a step: the attempt its message names, and how long it may hold
/// the step before another worker may take over (the lease; heartbeats extend it).
struct claim_request {
    step_ref ref;
    std::uint32_t attempt = 1;
    duration lease{};
    /// Who claims: a token the worker makes for this claim and repeats if it must ask again.
    /// A claim whose answer was lost (the connection broke as it committed) is then given back
    /// to its owner instead of answering `busy` until the lease runs out. Nil: no owner.
    uuid owner{};
};

enum class claim_status : std::uint8_t {
    claimed,  ///< the step is the worker's: run it
    stale,    ///< the message names an attempt that is over, or a finished step: ack it
    busy,     ///< another worker holds a live lease on this attempt: retry after `retry_in`
    lost,     ///< the attempt's worker was lost (lease expired): its failure is recorded; ack
    not_found ///< no such task or step: ack (and log)
};

std::string_view to_string(claim_status s) noexcept;
std::ostream& operator<<(std::ostream& os, claim_status s);

/// Everything a handler gets to run one attempt.
struct step_claim {
    step_ref ref;
    std::uint32_t attempt = 1;
    template_ptr tmpl;
    json_ptr context;
    /// Results of every ancestor step (by index, in topological order).
    std::vector<std::pair<std::uint32_t, json_ptr>> ancestor_results;
    /// The names of `ancestor_results`' steps, in the same order, when some are batch workers
    /// (whose names are not their template step's); empty otherwise.
    std::vector<std::string> ancestor_names;
    /// The template step a batch worker runs; none for a template step (it runs `ref.step`).
    std::optional<std::uint32_t> definition;
    std::string name;    ///< a batch worker's name; empty for a template step (the template's name)
    json_ptr input;      ///< a batch worker's `batch_cursor`; null otherwise
    json_ptr checkpoint; ///< the step's last `batch_checkpoint`, from an earlier attempt or worker; null: none
    std::string correlation_id; ///< empty: use the task id
    time_point claimed_at;
    time_point lease_until;

    /// The index of the template step this attempt runs.
    std::uint32_t template_step() const noexcept { return definition ? *definition : ref.step; }
};

struct claim_outcome {
    claim_status status = claim_status::not_found;
    duration retry_in{}; ///< for `busy`: when the current lease runs out
    step_claim claim;    ///< for `claimed`
};

/// A batch worker's progress to make durable, with a heartbeat: accepted only for the
/// attempt that is running (as `extend_leases`), its lease then held for `lease` from now.
struct step_checkpoint {
    step_ref ref;
    std::uint32_t attempt = 1;
    json_ptr data; ///< a `batch_checkpoint`
    duration lease{};
};

/// A heartbeat: keep holding the step for `lease` from now.
struct lease_extension {
    step_ref ref;
    std::uint32_t attempt = 1;
    duration lease{};
};

} // namespace tasker
