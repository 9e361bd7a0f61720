#pragma once
// The store conformance suite, contract 14: analytics over a window — which tasks it counts,
// how they stand, how long they and their steps' attempts took, which steps were retried, the
// sample, and the queries a store refuses.

#include <tasker/store/task_analytics.hpp>
#include <tasker/testing/conformance/store_suite.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace tasker::testing {

template <store_fixture F>
class store_analytics_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::blocking, suite::failed_with, suite::store, suite::ticks, suite::flow, suite::create,
        suite::view, suite::claim, suite::outcome, suite::record, suite::orchestrate, suite::drain,
        suite::retry_delay, suite::f_, suite::worker_q_, suite::orchestration_q_, suite::step_a, suite::step_b,
        suite::step_c;

public:
    using suite::suite;

    /// Contract 14: the tasks created in [from, to) are counted by how they stand now (a task
    /// created at `from` is in, one at `to` out), finished ones measured, others left out;
    /// the system counts hold every task; the filters narrow to their templates.
    void analytics_counts_the_window()
    {
        const auto tmpl = run(store().register_template(flow("1.0.0")), "register_template");
        const auto before = create(tmpl, {}, 1).id;
        f_.advance(std::chrono::milliseconds(20));
        const auto from = f_.now();
        const auto done = create(tmpl, {}, 2).id;
        const auto failed = create(tmpl, {}, 3).id;
        const auto running = create(tmpl, {}, 4).id;
        complete(done);
        fail(failed);
        REQUIRE(claim(running, step_c, 1, ticks(30)).status == claim_status::claimed);
        f_.advance(std::chrono::milliseconds(20));
        const auto to = f_.now();
        const auto after = create(tmpl, {}, 5).id;
        complete(after);
        complete(before);

        const auto a = analytics({.from = from, .to = to});
        CHECK(a.from == from);
        CHECK(a.to == to);
        REQUIRE(a.templates.size() == 1);
        const auto& t = a.templates[0];
        CHECK(t.key == tmpl->key());
        CHECK(t.started == 3);
        CHECK(t.completed == 1);
        CHECK(t.failed == 1);
        CHECK(t.cancelled == 0);
        CHECK(t.resolved_manually == 0);
        CHECK(t.running == 1);
        CHECK(t.durations.count == 2); // the running task is not measured
        CHECK(a.sampled_tasks == 2);
        CHECK(t.durations.p50 <= t.durations.p95);
        CHECK(t.durations.p95 <= t.durations.p99);
        REQUIRE(t.most_retried_steps.empty());

        CHECK(a.system.total() == 5);
        CHECK(a.system.of(task_state::complete) == 3);
        CHECK(a.system.of(task_state::error) == 1);
        CHECK(a.system.total() - a.system.of(task_state::complete) - a.system.of(task_state::error) == 1);
        CHECK(a.as_of >= to);

        // Before and after the window: the tasks made then, each once.
        const auto earlier = analytics({.from = from - std::chrono::hours(1), .to = from});
        REQUIRE(earlier.templates.size() == 1);
        CHECK(earlier.templates[0].started == 1);
        CHECK(earlier.templates[0].completed == 1);
        const auto later = analytics({.from = to, .to = to + std::chrono::hours(1)});
        REQUIRE(later.templates.size() == 1);
        CHECK(later.templates[0].started == 1);
        const auto all = analytics({.from = from - std::chrono::hours(1), .to = to + std::chrono::hours(1)});
        REQUIRE(all.templates.size() == 1);
        CHECK(all.templates[0].started == 5);
        CHECK(all.templates[0].completed == 3);

        // Filters: another namespace or name has nothing; the system counts stay whole.
        const auto other = analytics({.from = from, .to = to, .namespace_name = "elsewhere"});
        CHECK(other.templates.empty());
        CHECK(other.system.total() == 5);
        CHECK(analytics({.from = from, .to = to, .namespace_name = "conformance", .name = "other_flow"}).templates.empty());
        CHECK(analytics({.from = from, .to = to, .namespace_name = "conformance", .name = "conformance_flow"})
                  .templates.size() == 1);
        // No task in a window long past.
        CHECK(analytics({.from = from - std::chrono::hours(48), .to = from - std::chrono::hours(47)}).templates.empty());
    }

    /// Contract 14: a step whose attempt took longer ranks slowest, with its p95 at least that
    /// long; a step failed once and retried counts one retry in one task; versions are apart;
    /// the sample is the newest finished tasks, while counts stay exact.
    void analytics_ranks_steps_and_samples()
    {
        const auto v1 = run(store().register_template(flow("1.0.0")), "register_template");
        const auto v2 = run(store().register_template(flow("2.0.0")), "register_template");
        const auto from = f_.now();
        const auto slow = create(v1, {}, 1).id;
        REQUIRE(claim(slow, step_c, 1, ticks(30)).status == claim_status::claimed);
        f_.advance(std::chrono::milliseconds(300));
        REQUIRE(record(outcome(slow, step_c, 1)) == record_status::recorded);
        REQUIRE(claim(slow, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(slow, step_a, 1, error_kind::retryable)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        f_.advance(retry_delay() + ticks(1));
        orchestrate(drain(orchestration_q_));
        REQUIRE(claim(slow, step_a, 2, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(slow, step_a, 2)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        REQUIRE(claim(slow, step_b, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(slow, step_b, 1)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        REQUIRE(view(slow).state == task_state::complete);
        f_.advance(std::chrono::milliseconds(5));
        const auto quick = create(v1, {}, 2).id;
        complete(quick);
        const auto other_version = create(v2, {}, 3).id;
        complete(other_version);
        f_.advance(std::chrono::milliseconds(5));
        const auto to = f_.now();

        const auto a = analytics({.from = from, .to = to});
        REQUIRE(a.templates.size() == 2);
        CHECK(a.templates[0].key == v1->key()); // by version
        CHECK(a.templates[1].key == v2->key());
        const auto& t = a.templates[0];
        CHECK(t.started == 2);
        CHECK(t.completed == 2);
        CHECK(t.durations.count == 2);
        CHECK(t.durations.p99 >= std::chrono::milliseconds(300));
        REQUIRE(t.slowest_steps.size() == 3);
        CHECK(t.slowest_steps[0].step == "c");
        CHECK(t.slowest_steps[0].attempts.count == 2);
        CHECK(t.slowest_steps[0].attempts.p95 >= std::chrono::milliseconds(300));
        const auto a_timing = std::find_if(t.slowest_steps.begin(), t.slowest_steps.end(),
                                           [](const step_timing& s) { return s.step == "a"; });
        REQUIRE(a_timing != t.slowest_steps.end());
        CHECK(a_timing->attempts.count == 3); // two attempts in `slow`, one in `quick`
        REQUIRE(t.most_retried_steps.size() == 1);
        CHECK(t.most_retried_steps[0] == step_retries{"a", 1, 1});
        CHECK(a.templates[1].started == 1);
        CHECK(a.templates[1].most_retried_steps.empty());
        CHECK(a.sampled_tasks == 3);

        // Rankings cut to top_steps.
        const auto top = analytics({.from = from, .to = to, .top_steps = 1});
        REQUIRE(top.templates.size() == 2);
        REQUIRE(top.templates[0].slowest_steps.size() == 1);
        CHECK(top.templates[0].slowest_steps[0].step == "c");

        // A sample of one: the newest finished task (`quick`, never retried, no slow step);
        // the counts are still every task's.
        const auto one = analytics({.from = from, .to = to, .sample = 1});
        REQUIRE(one.templates.size() == 2);
        const auto& s = one.templates[0];
        CHECK(s.started == 2);
        CHECK(s.completed == 2);
        CHECK(s.durations.count == 1);
        CHECK(s.durations.p99 < std::chrono::milliseconds(300));
        CHECK(s.most_retried_steps.empty());
        for (const auto& step : s.slowest_steps) {
            INFO(step.step);
            CHECK(step.attempts.count == 1);
        }
        CHECK(one.sampled_tasks == 2);
    }

    /// Contract 14: a query with its window backwards, no steps to rank or no sample is
    /// `errc::invalid_request` naming what is wrong.
    void bad_analytics_queries_are_refused()
    {
        const auto now = f_.now();
        const auto refused = [&](analytics_query q, std::string_view field) {
            const auto r = blocking(store().analytics(std::move(q)));
            CHECK(failed_with(r, {errc::invalid_request}));
            if (r)
                return;
            const auto e = r.error();
            INFO(e.what());
            CHECK(std::any_of(e.problems.begin(), e.problems.end(), [&](const problem& p) { return p.path == field; }));
        };
        refused({.from = now, .to = now}, "to");
        refused({.from = now, .to = now - std::chrono::seconds(1)}, "to");
        refused({.from = now - std::chrono::hours(1), .to = now, .top_steps = 0}, "top_steps");
        refused({.from = now - std::chrono::hours(1), .to = now, .sample = 0}, "sample");
        refused({.from = now - std::chrono::hours(1), .to = now, .name = "conformance_flow"}, "name");
    }

private:
    task_analytics analytics(analytics_query q) { return run(store().analytics(std::move(q)), "analytics"); }

    /// Runs every step of task `id` once, successfully, to the task's completion.
    void complete(const task_id& id)
    {
        REQUIRE(claim(id, step_c, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_c, 1)) == record_status::recorded);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        REQUIRE(claim(id, step_b, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_b, 1)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        drain(worker_q_);
        REQUIRE(view(id).state == task_state::complete);
    }

    /// Task `id` ends in error: its step c done, its step a fails for good.
    void fail(const task_id& id)
    {
        REQUIRE(claim(id, step_c, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_c, 1)) == record_status::recorded);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1, error_kind::permanent)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        drain(worker_q_);
        REQUIRE(view(id).state == task_state::error);
    }
};

} // namespace tasker::testing
