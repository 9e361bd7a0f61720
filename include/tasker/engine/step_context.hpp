#pragma once

#include <tasker/logger.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/step_claim.hpp>

#include <cstdint>
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
    step_context(const step_claim& claim, time_point deadline, std::stop_token stop, const logger& log)
        : claim_(claim), deadline_(deadline), stop_(std::move(stop)), base_log_(log)
    {
    }

    const task_id& task() const noexcept { return claim_.ref.task; }
    std::string_view step_name() const noexcept { return step().name; }
    /// 1 on the first attempt.
    std::uint32_t attempt() const noexcept { return claim_.attempt; }
    /// How many attempts the retry policy allows in all (at least 1).
    std::uint32_t max_attempts() const noexcept;

    /// The task's input, as submitted (validated against the template's input_schema).
    const json::value& context() const noexcept { return deref(claim_.context); }
    /// The step's `handler.initialization` from the template (null when absent).
    const json::value& config() const noexcept { return step().handler.initialization; }

    /// The result of ancestor step `name`; nullptr if `name` is not an ancestor of this
    /// step (results of unrelated steps are not visible, by design).
    const json::value* result_of(std::string_view name) const noexcept;

    /// Visits every ancestor's result as (name, value), in topological order.
    template <class F>
    void for_each_result(F&& f) const
    {
        for (const auto& [index, value] : claim_.ancestor_results)
            f(std::string_view(claim_.tmpl->steps[index].name), deref(value));
    }

    /// When the worker gives up on this attempt and records a timeout.
    time_point deadline() const noexcept { return deadline_; }
    /// Set on timeout, on cancellation of the task and at shutdown: return soon.
    std::stop_token stop_token() const noexcept { return stop_; }
    bool stop_requested() const noexcept { return stop_.stop_requested(); }

    /// Logs with the task's correlation id, task id, step and attempt on every line.
    const logger& log() const;

    const tasker::task_template& workflow() const noexcept { return *claim_.tmpl; }
    const step_template& step() const noexcept { return claim_.tmpl->steps[claim_.ref.step]; }

private:
    const step_claim& claim_;
    time_point deadline_;
    std::stop_token stop_;
    const logger& base_log_;
    mutable std::optional<logger> step_log_; // made on first use: most handlers never log
};

} // namespace tasker
