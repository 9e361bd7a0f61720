#pragma once
// Every example shape through a whole lifecycle — happy path with correct results, retry then
// success, permanent failure, cancellation mid-run — as one suite over the deployment type:
// `TASKER_EXAMPLE_SHAPES_SUITE(Deployment, tags)` defines its test cases for one deployment
// (support/deployment.hpp, support/postgres_deployment.hpp). The same bodies run on the
// embedded runtime and on PostgreSQL with each broker.

#include "support/deployment.hpp"

#include <tasker/state/step_machine.hpp>
#include <tasker/state/task_machine.hpp>
#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

#include <condition_variable>
#include <future>
#include <mutex>

namespace tasker::test::shapes {

using namespace std::chrono_literals;

inline void check_history_is_legal(const task_view& t)
{
    // Every recorded transition is a row of its machine, and the rows chain up.
    std::vector<step_state> steps(t.steps.size(), step_state::pending);
    task_state task = task_state::pending;
    std::uint64_t last_seq = 0;
    std::size_t ti = 0, si = 0;
    while (ti < t.task_transitions.size() || si < t.step_transitions.size()) {
        const bool take_task = si == t.step_transitions.size() ||
                               (ti < t.task_transitions.size() && t.task_transitions[ti].seq < t.step_transitions[si].seq);
        if (take_task) {
            const auto& tr = t.task_transitions[ti++];
            CHECK(tr.seq > last_seq);
            last_seq = tr.seq;
            CHECK(tr.from == task);
            CHECK(task_machine::next(tr.from, tr.event).value() == tr.to);
            task = tr.to;
        } else {
            const auto& tr = t.step_transitions[si++];
            CHECK(tr.seq > last_seq);
            last_seq = tr.seq;
            CHECK(tr.from == steps[tr.step]);
            CHECK(step_machine::next(tr.from, tr.event).value() == tr.to);
            steps[tr.step] = tr.to;
        }
    }
    CHECK(task == t.state);
}

template <class D>
void every_math_example_completes()
{
    D d;
    load_examples(d.rt);
    REQUIRE(d.rt.start());
    for (const char* name : {"linear_workflow", "diamond_workflow", "tree_workflow", "mixed_dag_workflow"}) {
        INFO(name);
        auto t = run_example(d.rt, name, json::object{{"even_number", 8}}, 60s);
        INFO(format_timeline(t));
        REQUIRE(t.state == task_state::complete);
        const auto expected = examples::expected_math_results(*t.tmpl, 8);
        for (const auto& s : t.steps) {
            CHECK(s.state == step_state::complete);
            CHECK(s.attempts == 1);
            REQUIRE(s.result);
            CHECK(s.result->at("value").template to_number<std::int64_t>() == expected.at(s.name));
        }
        check_history_is_legal(t);
    }
}

template <class D>
void flaky_payment_retries_then_completes()
{
    D d;
    load_examples(d.rt);
    REQUIRE(d.rt.start());
    auto t = run_example(d.rt, "order_fulfillment", examples::sample_order(), 60s);
    INFO(format_timeline(t));
    REQUIRE(t.state == task_state::complete);
    const auto* pay = t.step("process_payment");
    CHECK(pay->attempts == 3);
    CHECK(pay->result->at("attempts") == 3);
    REQUIRE(pay->last_error);
    CHECK(pay->last_error->message == "payment gateway timed out (attempt 2)");
    CHECK(t.step("ship_order")->result->at("paid_with") == pay->result->at("payment_id"));
    // Two waits for a retry, each with its backoff, are in the history.
    int retries = 0;
    for (const auto& tr : t.step_transitions)
        retries += tr.to == step_state::waiting_for_retry;
    CHECK(retries == 2);
    check_history_is_legal(t);
}

template <class D>
void permanent_failure_ends_in_error()
{
    D d;
    load_examples(d.rt);
    REQUIRE(d.rt.start());
    auto t = run_example(d.rt, "order_fulfillment", examples::sample_order("tok_declined"), 60s);
    INFO(format_timeline(t));
    REQUIRE(t.state == task_state::error);
    CHECK(t.step("validate_order")->state == step_state::complete);
    CHECK(t.step("process_payment")->state == step_state::error);
    CHECK(t.step("process_payment")->attempts == 1);
    CHECK(t.step("ship_order")->state == step_state::pending);
    auto page = detail::run_blocking(d.rt.task_store().dead_letters({}));
    REQUIRE(page);
    const auto& dls = page->entries;
    REQUIRE(dls.size() == 1);
    CHECK(dls[0].failed_steps == std::vector<std::string>{"process_payment"});
    CHECK(dls[0].reason == "step 'process_payment' failed after 1 attempt (permanent): card declined by issuer");
    CHECK(dls[0].cause == dead_letter_cause::permanent_failure);
    check_history_is_legal(t);
}

template <class D>
void cancelling_mid_run_stops_the_handler()
{
    D d({.lease = 300ms}); // heartbeats every 100 ms notice the cancellation
    auto& rt = d.rt;
    std::promise<void> started;
    std::promise<bool> saw_stop;
    rt.handlers().add("slow.block", [&](step_context& ctx) {
        started.set_value();
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        // Returns when the worker asks the handler to stop (or after 20 s, failing the test).
        const bool stopped = cv.wait_for(lock, ctx.stop_token(), 20s, [] { return false; }) || ctx.stop_requested();
        saw_stop.set_value(stopped);
        return success();
    });
    rt.handlers().add("slow.after", [](step_context&) { return success(); });
    REQUIRE(rt.load_template(R"(
name: blocking
namespace_name: lifecycle
version: 1.0.0
steps:
  - name: block
    handler: {callable: slow.block}
  - name: after
    dependencies: [block]
    handler: {callable: slow.after}
)"));
    REQUIRE(rt.start());
    auto id = rt.submit({{"lifecycle", "blocking", std::nullopt}, json::object{}, {}, {}}).value().id;
    started.get_future().wait();
    auto state = rt.cancel(id);
    REQUIRE(state);
    CHECK(*state == task_state::cancelled);
    CHECK(saw_stop.get_future().get());
    auto t = rt.wait(id, 10s).value();
    INFO(format_timeline(t));
    CHECK(t.state == task_state::cancelled);
    CHECK(t.step("block")->state == step_state::cancelled);
    CHECK(t.step("after")->state == step_state::cancelled);
    CHECK(t.step("after")->attempts == 0);
    check_history_is_legal(t);
}

} // namespace tasker::test::shapes

#define TASKER_EXAMPLE_SHAPES_CASE(Deployment, tags, fn, title)                                                      \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "lifecycle", ::tasker::test::shapes::fn, title)

/// The example-shape lifecycle cases for `Deployment`, tagged `tags`.
#define TASKER_EXAMPLE_SHAPES_SUITE(Deployment, tags)                                                                \
    TASKER_EXAMPLE_SHAPES_CASE(Deployment, tags, every_math_example_completes,                                       \
                               "every math example completes with the right results")                               \
    TASKER_EXAMPLE_SHAPES_CASE(Deployment, tags, flaky_payment_retries_then_completes,                               \
                               "order fulfillment retries the flaky payment twice, then completes")                 \
    TASKER_EXAMPLE_SHAPES_CASE(Deployment, tags, permanent_failure_ends_in_error,                                    \
                               "a permanent failure ends the task in error with the failing step named")            \
    TASKER_EXAMPLE_SHAPES_CASE(Deployment, tags, cancelling_mid_run_stops_the_handler,                               \
                               "cancelling mid-run stops the running handler and nothing runs after")
