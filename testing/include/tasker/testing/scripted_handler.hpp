#pragma once

#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/step_result.hpp>
#include <tasker/model/json.hpp>

#include <functional>
#include <string>

namespace tasker::testing {

/// Ready-made step handlers for scenarios: what a step does, stated in one line.
///
///     s.handler("orders.charge", scripted_handler::fail_times(2).then_succeed({{"id", "ch_1"}}));
///
/// `scenario::handler` registers it as a `step_handler`; a lambda taking a `step_context&` works as well.
class scripted_handler {
public:
    /// Succeeds with `result` on every attempt.
    static scripted_handler succeed(json::value result = nullptr);
    /// Fails retryably on the first `n` attempts; chain `then_succeed` for what comes after.
    static scripted_handler fail_times(int n, std::string message = "planned transient failure");
    /// Fails permanently (never retried).
    static scripted_handler permanent_failure(std::string message = "planned permanent failure");
    /// Runs past the step's deadline (`timeout_seconds`, else the worker's default), in
    /// virtual time, so the attempt ends as a `timeout` error; after `n` such attempts it
    /// succeeds (default: never).
    static scripted_handler time_out(int n = -1);

    /// After the planned failures, succeed with `result`.
    scripted_handler then_succeed(json::value result = nullptr) &&;

    /// The handler to register; `move_clock_past(t)` makes virtual time pass `t` (for `time_out`).
    step_handler handler(std::function<void(time_point)> move_clock_past) const;

private:
    enum class kind { succeed, fail, permanent, time_out };
    kind kind_ = kind::succeed;
    int failures_ = 0; // attempts that fail before success; -1: all of them
    std::string message_;
    json::value result_;
};

} // namespace tasker::testing
