#pragma once

#include <tasker/model/time.hpp>

#include <algorithm>
#include <chrono>

namespace tasker::detail {

/// How long tasker waits before trying a backend again after a transient failure (the
/// database or broker is unreachable): `first`, doubling with each failure in a row up to
/// `longest`, and `first` again after a success. A process started before its backend waits
/// for it instead of exiting, and resumes at most `longest` after the backend comes back.
/// Every retrying loop of the orchestrator, the worker, the outbox relay and the PostgreSQL
/// listener uses it. Pure: the caller waits.
class outage_backoff {
public:
    static constexpr duration first = std::chrono::milliseconds(100);
    static constexpr duration longest = std::chrono::seconds(10);

    /// The wait before the next try; the call after it returns twice as much (at most `longest`).
    duration next() noexcept
    {
        const duration d = delay_;
        delay_ = std::min<duration>(delay_ * 2, longest);
        return d;
    }

    /// A try succeeded: the next failure waits `first` again.
    void reset() noexcept { delay_ = first; }

private:
    duration delay_ = first;
};

} // namespace tasker::detail
