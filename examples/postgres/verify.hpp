#pragma once

#include <tasker/error.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace examples {

/// What `tasker-node --verify` found in a tasker database.
struct verification {
    std::size_t tasks = 0;
    std::size_t steps = 0;
    std::size_t attempts = 0;     ///< claims: attempts a worker started
    std::size_t failures = 0;     ///< attempts that failed (handler errors, lost workers)
    std::size_t retries = 0;      ///< steps enqueued again after a failure
    std::size_t redeliveries = 0; ///< queue messages read again after a lease ran out or a nack
    std::size_t violation_count = 0;
    std::vector<std::string> violations; ///< the first few violations, each naming task and step

    bool ok() const noexcept { return violation_count == 0; }
    /// One line: the counts, and how many violations there were.
    std::string summary() const;
};

/// Reads the whole store of the database at `url` (tasker's tables and pgmq's queues) and
/// checks the cluster's promises:
///  1. every task and every step is complete;
///  2. no step succeeded twice: at most one of its attempts reached enqueued_for_orchestration;
///  3. every task's and step's history is a legal path: it starts in `pending`, each row starts
///     where the previous one ended, each (from, event, to) is a row of the Boost.MSM table
///     (`task_machine`, `step_machine`), a claim counts one attempt more, and it ends in the
///     state (and attempt count) the task or step row holds.
/// Fails only when the database cannot be read; what it finds is in the verification.
tasker::result<verification> verify_database(const std::string& url);

} // namespace examples
