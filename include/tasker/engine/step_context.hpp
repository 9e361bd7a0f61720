#pragma once

#include <tasker/core/creation_outcomes.hpp>
#include <tasker/logger.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/step_claim.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string_view>

namespace tasker {

/// What a step handler sees of its task: the task's input, the step's configuration, the
/// results of every step it (transitively) depends on, which attempt this is, its deadline
/// and a stop token. Valid for the duration of the handler call.
///
/// @par Example
/// @code
/// handlers.add("orders.charge", [](tasker::step_context& ctx) {
///     const auto& order = ctx.result_of("validate_order")->as_object();
///     if (ctx.stop_requested()) return tasker::retryable_error("shutting down");
///     return tasker::success({{"charged", order.at("total")}});
/// });
/// @endcode
class step_context {
public:
    /// Makes a batch worker's progress durable (the worker's store call); for `checkpoint`.
    using checkpoint_writer = std::function<result<void>(const batch_checkpoint&)>;

    step_context(const step_claim& claim, time_point deadline, std::stop_token stop, const logger& log,
                 checkpoint_writer write_checkpoint = {})
        : claim_(claim), deadline_(deadline), stop_(std::move(stop)), base_log_(log),
          write_checkpoint_(std::move(write_checkpoint))
    {
    }

    const task_id& task() const noexcept { return claim_.ref.task; }
    /// The step's name: its template step's, or a batch worker's (`<worker step>_<batch id>`).
    std::string_view step_name() const noexcept { return claim_.name.empty() ? step().name : claim_.name; }
    /// 1 on the first attempt.
    std::uint32_t attempt() const noexcept { return claim_.attempt; }
    /// How many attempts the retry policy allows in all (at least 1).
    std::uint32_t max_attempts() const noexcept;

    /// The task's input, as submitted (validated against the template's input_schema).
    const json::value& context() const noexcept { return deref(claim_.context); }
    /// The step's `handler.method`: which entry point of its callable to run (empty: the default).
    std::string_view method() const noexcept { return step().handler.method; }
    /// The step's `handler.initialization` from the template (null when absent).
    const json::value& config() const noexcept { return step().handler.initialization; }

    /// The result of ancestor step `name`; nullptr if `name` is not an ancestor of this
    /// step (results of unrelated steps are not visible, by design).
    const json::value* result_of(std::string_view name) const noexcept;

    /// Visits every ancestor's result as (name, value), in topological order. A step that
    /// converges on batch workers sees each worker's result under the worker's name.
    template <class F>
    void for_each_result(F&& f) const
    {
        for (std::size_t k = 0; k < claim_.ancestor_results.size(); ++k)
            f(ancestor_name(k), deref(claim_.ancestor_results[k].second));
    }

    /// A batch worker's slice of the items: what its batchable step planned for it. None
    /// for other steps.
    std::optional<batch_cursor> batch() const;
    /// The last checkpoint a batch worker made durable, by this attempt or an earlier one
    /// (or another worker's, before it was lost): resume from its `cursor`. None at first.
    std::optional<batch_checkpoint> last_checkpoint() const;
    /// Makes a batch worker's progress durable, atomically: its cursor (the next item to
    /// process), the items processed so far and what it accumulated. The step stays in
    /// progress and its lease is renewed; a retry, or the worker that takes over a lost one,
    /// resumes from here. `errc::state_conflict` if the attempt is no longer this worker's
    /// (stop: another owns the step now); `errc::illegal_transition` for a step that is no
    /// batch worker.
    result<void> checkpoint(const batch_checkpoint& progress) const;

    /// When the worker gives up on this attempt and records a timeout.
    time_point deadline() const noexcept { return deadline_; }
    /// Set on timeout, on cancellation of the task and at shutdown: return soon.
    std::stop_token stop_token() const noexcept { return stop_; }
    bool stop_requested() const noexcept { return stop_.stop_requested(); }

    /// Logs with the task's correlation id, task id, step and attempt on every line.
    const logger& log() const;

    const tasker::task_template& workflow() const noexcept { return *claim_.tmpl; }
    const step_template& step() const noexcept { return claim_.tmpl->steps[claim_.template_step()]; }

private:
    std::string_view ancestor_name(std::size_t k) const noexcept
    {
        if (!claim_.ancestor_names.empty())
            return claim_.ancestor_names[k];
        return claim_.tmpl->steps[claim_.ancestor_results[k].first].name;
    }

    const step_claim& claim_;
    time_point deadline_;
    std::stop_token stop_;
    const logger& base_log_;
    checkpoint_writer write_checkpoint_;
    mutable std::optional<logger> step_log_; // made on first use: most handlers never log
};

} // namespace tasker
