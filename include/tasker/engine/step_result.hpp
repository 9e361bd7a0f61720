#pragma once

#include <tasker/core/creation_outcomes.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/time.hpp>
#include <tasker/retry/error_kind.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tasker {

/// What a step handler returns: a success with its result, or an error the retry policy
/// classifies. Make one with `success`, `retryable_error` or `permanent_error`.
class step_result {
public:
    bool ok() const noexcept { return ok_; }
    error_kind kind() const noexcept { return kind_; }
    const json::value& value() const noexcept { return value_; }
    json::value& value() noexcept { return value_; }
    const std::string& message() const noexcept { return message_; }
    const std::optional<duration>& retry_after() const noexcept { return retry_after_; }

    friend step_result success(json::value v);
    friend step_result retryable_error(std::string message, std::optional<duration> retry_after);
    friend step_result permanent_error(std::string message);
    friend step_result timeout_error(std::string message);

private:
    bool ok_ = true;
    error_kind kind_ = error_kind::retryable;
    json::value value_;
    std::string message_;
    std::optional<duration> retry_after_;
};

/// The step succeeded; `v` becomes its result, visible to every step that depends on it.
step_result success(json::value v = nullptr);

/// The attempt failed but may succeed later (a 503, a lock timeout). The step is retried
/// per its retry policy; `retry_after` (e.g. from a Retry-After header) replaces the
/// computed backoff, capped at the policy's max_backoff.
step_result retryable_error(std::string message, std::optional<duration> retry_after = std::nullopt);

/// The step can never succeed (a 4xx, invalid input): no retry, the task fails.
step_result permanent_error(std::string message);

/// The attempt ran out of time (retryable). The worker uses it when a handler overruns.
step_result timeout_error(std::string message);

/// A decision step's success: create the steps named (declared below the decision; the
/// convergence steps that depend on them follow). `extra` fields are kept in the result.
step_result create_steps(std::vector<std::string> step_names, json::object extra = {});
/// A decision step's success that creates nothing below it.
step_result no_branches(json::object extra = {});
/// A batchable step's success: one worker of batch_worker step `worker_template` per batch.
step_result create_batches(std::string worker_template, std::vector<batch_cursor> batches, std::int64_t total_items,
                           json::object extra = {});
/// A batchable step's success with nothing to process: one no-op worker completes at once.
step_result no_batches(json::object extra = {});

/// Batches of `batch_size` items over `total_items` items, ids "001", "002", …: the cursors a
/// batchable handler usually returns. None when `total_items` is 0.
std::vector<batch_cursor> even_batches(std::int64_t total_items, std::int64_t batch_size);

} // namespace tasker
