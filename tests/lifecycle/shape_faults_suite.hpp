#pragma once
// Every math example shape under each fault — a step that fails once then succeeds, a step
// that fails permanently, a cancellation while a step runs — as one suite over the deployment
// type: `TASKER_SHAPE_FAULTS_SUITE(Deployment, tags)`. The victim is a step in the middle of
// the graph, so each case has work before and after it.

#include "support/deployment.hpp"

#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

namespace tasker::test::shape_faults {

using namespace std::chrono_literals;

enum class fault { retry_once, permanent, cancel };

struct faulty_math {
    std::string victim;
    fault kind;
    std::promise<void> victim_started;
    std::atomic<int> victim_calls{0};
};

// The real math handler, with `victim` misbehaving as `kind` says.
inline void register_faulty_math(handler_registry& into, faulty_math& f)
{
    handler_registry real;
    examples::register_math_handlers(real);
    const step_handler square = *real.find("math.square_product");
    into.add("math.square_product", [&f, square](step_context& ctx) -> step_result {
        if (ctx.step_name() != f.victim)
            return square(ctx);
        ++f.victim_calls;
        switch (f.kind) {
        case fault::retry_once:
            return ctx.attempt() == 1 ? retryable_error("transient glitch") : square(ctx);
        case fault::permanent:
            return permanent_error("bad data in " + f.victim);
        case fault::cancel: {
            f.victim_started.set_value();
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            cv.wait_for(lock, ctx.stop_token(), 20s, [] { return false; });
            return square(ctx);
        }
        }
        return square(ctx);
    });
}

inline deployment_settings settings()
{
    // Heartbeats every 100 ms notice a cancellation; retries come back after 5 ms.
    return {.lease = 300ms, .retry_base = 5ms};
}

// A step in the middle of the topological order: it has ancestors or descendants or both.
inline std::string middle_step(const task_template& t)
{
    const auto order = t.graph.topological_order();
    return t.steps[order[order.size() / 2]].name;
}

/// Task `id` once it has finished; a timeout fails the test with the task's timeline so far.
template <class Runtime>
task_view finished(Runtime& rt, const task_id& id)
{
    auto t = rt.wait(id, 30s);
    if (!t) {
        const auto now = rt.get(id);
        FAIL(t.error().what() << "\n" << (now ? format_timeline(*now) : now.error().what()));
    }
    return *t;
}

template <class D>
void retries_then_completes()
{
    const char* shape = GENERATE("linear_workflow", "diamond_workflow", "tree_workflow", "mixed_dag_workflow");
    INFO(shape);
    D d(settings());
    auto& rt = d.rt;
    auto tmpl = rt.load_template_file(test::example_template_path(shape)).value();
    faulty_math f{middle_step(*tmpl), fault::retry_once, {}, {}};
    register_faulty_math(rt.handlers(), f);
    REQUIRE(rt.start());

    auto id = rt.submit({{"examples", shape, std::nullopt}, json::object{{"even_number", 6}}, {}, {}}).value().id;
    auto t = finished(rt, id);
    INFO(format_timeline(t));
    REQUIRE(t.state == task_state::complete);
    const auto expected = examples::expected_math_results(*tmpl, 6);
    for (const auto& s : t.steps) {
        CHECK(s.state == step_state::complete);
        CHECK(s.attempts == (s.name == f.victim ? 2u : 1u));
        CHECK(s.result->at("value").template to_number<std::int64_t>() == expected.at(s.name));
    }
    CHECK(f.victim_calls == 2);
    REQUIRE(t.step(f.victim)->last_error);
    CHECK(t.step(f.victim)->last_error->message == "transient glitch");
}

template <class D>
void permanent_failure_ends_in_error()
{
    const char* shape = GENERATE("linear_workflow", "diamond_workflow", "tree_workflow", "mixed_dag_workflow");
    INFO(shape);
    D d(settings());
    auto& rt = d.rt;
    auto tmpl = rt.load_template_file(test::example_template_path(shape)).value();
    faulty_math f{middle_step(*tmpl), fault::permanent, {}, {}};
    register_faulty_math(rt.handlers(), f);
    REQUIRE(rt.start());

    auto id = rt.submit({{"examples", shape, std::nullopt}, json::object{{"even_number", 6}}, {}, {}}).value().id;
    auto t = finished(rt, id);
    INFO(format_timeline(t));
    REQUIRE(t.state == task_state::error);
    const auto victim = *tmpl->step_index(f.victim);
    CHECK(t.steps[victim].state == step_state::error);
    CHECK(t.steps[victim].attempts == 1); // permanent: no retry despite max_attempts 3
    CHECK(f.victim_calls == 1);
    // Nothing downstream of the failed step ran.
    for (std::uint32_t i = 0; i < t.steps.size(); ++i) {
        const auto anc = tmpl->graph.ancestors(i);
        if (std::find(anc.begin(), anc.end(), victim) != anc.end()) {
            CHECK(t.steps[i].state == step_state::pending);
            CHECK(t.steps[i].attempts == 0);
        }
    }
    auto dls = detail::run_blocking(rt.task_store().dead_letters({})).value().entries;
    REQUIRE(dls.size() == 1);
    CHECK(dls[0].failed_steps == std::vector<std::string>{f.victim});
}

template <class D>
void cancelled_while_a_step_runs()
{
    const char* shape = GENERATE("linear_workflow", "diamond_workflow", "tree_workflow", "mixed_dag_workflow");
    INFO(shape);
    D d(settings());
    auto& rt = d.rt;
    auto tmpl = rt.load_template_file(test::example_template_path(shape)).value();
    faulty_math f{middle_step(*tmpl), fault::cancel, {}, {}};
    register_faulty_math(rt.handlers(), f);
    REQUIRE(rt.start());

    auto id = rt.submit({{"examples", shape, std::nullopt}, json::object{{"even_number", 6}}, {}, {}}).value().id;
    f.victim_started.get_future().wait();
    REQUIRE(rt.cancel(id).value() == task_state::cancelled);
    auto t = finished(rt, id);
    INFO(format_timeline(t));
    CHECK(t.state == task_state::cancelled);
    const auto victim = *tmpl->step_index(f.victim);
    CHECK(t.steps[victim].state == step_state::cancelled);
    for (const auto& s : t.steps) {
        // Finished work stays finished; everything else is cancelled and never ran.
        if (s.state != step_state::complete) {
            CHECK(s.state == step_state::cancelled);
        }
    }
    for (std::uint32_t i = 0; i < t.steps.size(); ++i) {
        const auto anc = tmpl->graph.ancestors(i);
        if (std::find(anc.begin(), anc.end(), victim) != anc.end())
            CHECK(t.steps[i].attempts == 0);
    }
    CHECK(f.victim_calls == 1);
}

} // namespace tasker::test::shape_faults

#define TASKER_SHAPE_FAULTS_CASE(Deployment, tags, fn, title)                                                        \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "lifecycle", ::tasker::test::shape_faults::fn, title)

/// The shape-under-fault lifecycle cases for `Deployment`, tagged `tags`.
#define TASKER_SHAPE_FAULTS_SUITE(Deployment, tags)                                                                  \
    TASKER_SHAPE_FAULTS_CASE(Deployment, tags, retries_then_completes, "every shape retries a failing step, then completes") \
    TASKER_SHAPE_FAULTS_CASE(Deployment, tags, permanent_failure_ends_in_error, "every shape ends in error when a step fails permanently") \
    TASKER_SHAPE_FAULTS_CASE(Deployment, tags, cancelled_while_a_step_runs, "every shape can be cancelled while a step runs")
