#pragma once

#include <tasker/engine/handler_registry.hpp>

#include <chrono>
#include <cstdint>

namespace examples {

/// Faults tasker-node adds to the example handlers, so that tests of a cluster see
/// retries and can kill a worker while it runs a step.
struct fault_injection {
    /// Probability that an attempt fails with a retryable error instead of running.
    double fail_rate = 0;
    /// Which attempts fail depends only on the seed and on (task, step, attempt): the same
    /// seed fails the same attempts, whichever worker runs them.
    std::uint64_t seed = 0;
    /// How long every attempt waits before it runs (stopping early at shutdown). A worker
    /// with a long delay holds its steps until it is killed.
    std::chrono::milliseconds step_delay{0};
};

/// A copy of `handlers` in which every handler first waits `step_delay` (logging
/// `event=step_delayed`), then fails with probability `fail_rate`, else runs as before.
tasker::handler_registry inject_faults(const tasker::handler_registry& handlers, fault_injection faults);

} // namespace examples
