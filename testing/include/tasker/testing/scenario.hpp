#pragma once

#include <tasker/store/task_view.hpp>
#include <tasker/testing/scripted_handler.hpp>
#include <tasker/testing/sim_cluster.hpp>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker::testing {

/// The outcome of a scenario's expectations: true when every check held. Otherwise
/// `describe()` says which failed and prints the task's timeline. Checks chain:
///
///     CHECK(s.expect().task(task_state::complete).step("charge").attempts(3).state(step_state::complete));
///
/// With `<tasker/testing/catch.hpp>` included, Catch2 prints `describe()` on failure.
class expectation {
public:
    explicit expectation(task_view t);

    /// The task ended (or is) in `s`.
    expectation& task(task_state s);
    /// Selects the step the following checks are about.
    expectation& step(std::string_view name);
    /// The selected step is in `s`.
    expectation& state(step_state s);
    /// The selected step was attempted `n` times.
    expectation& attempts(std::uint32_t n);
    /// The selected step's result equals `v`.
    expectation& result(const json::value& v);
    /// The selected step went through exactly these states, in order (its initial
    /// `pending` not included): e.g. {enqueued, in_progress, enqueued_for_orchestration, complete}.
    expectation& transitions(std::initializer_list<step_state> states);
    /// The selected step's last error message contains `text`.
    expectation& error_contains(std::string_view text);
    /// From creation to the task's last change, virtual time was within [at_least, at_most].
    expectation& elapsed_between(duration at_least, duration at_most);

    explicit operator bool() const noexcept { return failures_.empty(); }
    /// Every failed check, then the task's timeline.
    std::string describe() const;
    const task_view& view() const noexcept { return task_; }

private:
    const step_view* selected(std::string_view check);
    void fail(std::string what);

    task_view task_;
    std::optional<std::uint32_t> step_;
    std::vector<std::string> failures_;
};

struct scenario_options {
    std::size_t orchestrators = 1;
    std::size_t workers = 1;
    std::uint64_t seed = 1;
    /// Broker faults (none by default).
    fault_rates faults{};
    template_options templates{};
    /// Worker settings; handlers run inline on virtual time.
    worker_config worker = sim_worker_defaults();
};

/// A lifecycle test in three parts — given a template and scripted handlers, when
/// something happens, then expectations — on a whole cluster in one thread and on virtual
/// time (`sim_cluster`): retries an hour apart finish in microseconds, and a run is the
/// same every time.
///
///     scenario s;
///     s.given_template_file("order.yaml")
///         .handler("orders.validate", scripted_handler::succeed({{"total", 42}}))
///         .handler("orders.charge", scripted_handler::fail_times(2).then_succeed())
///         .submit({{"order_id", 7}})
///         .run_until_finished();
///     CHECK(s.expect().task(task_state::complete).step("charge").attempts(3));
///
/// Setup errors (an invalid template, an unknown workflow, a context failing the schema)
/// throw `tasker::exception` with the full error, so a test fails at the line that caused it.
class scenario {
public:
    explicit scenario(scenario_options options = {});
    ~scenario();
    scenario(scenario&&) noexcept = default;
    scenario& operator=(scenario&&) noexcept = default;

    // -- given ------------------------------------------------------------------------
    scenario& given_template(std::string_view yaml);
    scenario& given_template_file(const std::string& path);
    scenario& handler(std::string callable, const scripted_handler& b);
    scenario& handler(std::string callable, step_handler h);
    /// The cluster's handler registry, to register your real handlers in one call.
    handler_registry& handlers() noexcept { return cluster_->handlers(); }

    // -- when -------------------------------------------------------------------------
    /// Submits a task of `workflow` (default: the template given last); it becomes the
    /// task the other actions and `expect()` are about. Starts the cluster on first use.
    scenario& submit(json::value context = json::object{}, std::string workflow = {});
    scenario& cancel();
    scenario& resolve_step(std::string step, json::value result = nullptr);
    scenario& reset_step(std::string step);
    scenario& resolve_task();
    /// Runs everything due within `d` of virtual time, then sets the clock to now + d.
    scenario& advance(duration d);
    /// Runs until the task is terminal (or `limit` of virtual time passes: then it throws).
    scenario& run_until_finished(duration limit = std::chrono::hours(24 * 30));
    /// Runs until the named step reaches `state`.
    scenario& run_until_step(std::string_view step, step_state state,
                             duration limit = std::chrono::hours(24 * 30));
    scenario& kill_worker(std::size_t i = 0);
    scenario& restart_worker(std::size_t i = 0);

    // -- then -------------------------------------------------------------------------
    /// Expectations about the current task, as it is now.
    expectation expect() const;
    task_view task() const;
    const task_id& id() const;
    std::string timeline() const;
    /// Virtual time since the cluster started.
    duration elapsed() const;
    sim_cluster& cluster() noexcept { return *cluster_; }

private:
    void start();

    std::unique_ptr<sim_cluster> cluster_;
    std::vector<template_ptr> templates_;
    std::optional<task_id> current_;
    bool started_ = false;
};

} // namespace tasker::testing
