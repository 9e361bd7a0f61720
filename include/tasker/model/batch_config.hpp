#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace tasker {

/// What a failed batch worker means for the rest of its batch (`batch_config.failure_strategy`).
enum class batch_failure_strategy : std::uint8_t {
    fail_fast,           ///< the failed worker's error blocks the convergence step: the task fails
    continue_on_failure, ///< the failed worker completes with its failure recorded; the rest go on
    /// the other workers run to the end; the task then fails naming the failed ones, which an
    /// operator's reset reruns from their checkpoints (the convergence follows)
    isolate,
};

/// The template's spelling: "fail_fast", "continue_on_failure", "isolate".
std::string_view to_string(batch_failure_strategy s) noexcept;
std::optional<batch_failure_strategy> batch_failure_strategy_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, batch_failure_strategy s);

/// `batch_config:` of a batchable or batch_worker step (tasker-core's keys): how a batchable
/// step's data is split among the worker steps made from `worker_template`.
struct batch_config {
    std::uint32_t batch_size = 0;  ///< items per worker, 1 to `max_batch_size`
    std::uint32_t parallelism = 0; ///< workers running at once, 1 to `max_parallelism`
    std::string cursor_field;      ///< the field a worker's cursor ranges over ("id", "row_number")
    std::string worker_template;   ///< the `batch_worker` step each worker is made from
    batch_failure_strategy failure_strategy = batch_failure_strategy::fail_fast;

    static constexpr std::uint32_t max_batch_size = 100'000;
    static constexpr std::uint32_t max_parallelism = 1'000;

    friend bool operator==(const batch_config&, const batch_config&) = default;
};

} // namespace tasker
