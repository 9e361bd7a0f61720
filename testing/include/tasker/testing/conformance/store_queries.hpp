#pragma once
// The store conformance suite, contract 9: reading tasks, listing them, and the dead-letter
// list.

#include <tasker/testing/conformance/store_suite.hpp>

namespace tasker::testing {

/// Contract 9: reading tasks, listing them, and the dead-letter list.
template <store_fixture F>
class store_query_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::blocking, suite::failed_with, suite::store, suite::ticks, suite::register_flow,
        suite::create, suite::view, suite::list, suite::dead_letters, suite::act, suite::claim, suite::outcome,
        suite::record, suite::orchestrate, suite::drain, suite::unknown_task, suite::f_, suite::worker_q_,
        suite::orchestration_q_, suite::step_a, suite::step_c;

public:
    using suite::suite;

    /// Contract 9: get_task of an unknown id; list_tasks newest first, filtered by
    /// namespace and state, limited; dead_letters holds the task that ended in error (and
    /// only once it ended), naming the failed step.
    void queries_and_dead_letters()
    {
        CHECK(failed_with(blocking(store().get_task(unknown_task())),
                                  {errc::task_not_found}));
        const auto tmpl = register_flow();
        const auto t1 = create(tmpl).id;
        f_.advance(milliseconds(2));
        const auto t2 = create(tmpl).id;
        f_.advance(milliseconds(2));
        const auto t3 = create(tmpl).id;
        drain(worker_q_);
        REQUIRE(act(t1, action::cancel{}).has_value());

        const auto all = list({});
        REQUIRE(all.size() == 3);
        CHECK(all[0].id == t3);
        CHECK(all[1].id == t2);
        CHECK(all[2].id == t1);
        CHECK(all[0].key == tmpl->key());
        CHECK(all[2].state == task_state::cancelled);
        const auto cancelled = list({.state = task_state::cancelled});
        REQUIRE(cancelled.size() == 1);
        CHECK(cancelled[0].id == t1);
        const auto newest = list({.limit = 2});
        REQUIRE(newest.size() == 2);
        CHECK(newest[0].id == t3);
        CHECK(newest[1].id == t2);
        task_filter elsewhere;
        elsewhere.namespace_name = "conformance_elsewhere";
        CHECK(run(store().list_tasks(std::move(elsewhere)), "list_tasks").tasks.empty());

        // t2's step a fails for good while c still runs: blocked, not yet a dead letter.
        REQUIRE(claim(t2, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(claim(t2, step_c, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(t2, step_a, 1, error_kind::permanent)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        CHECK(view(t2).state == task_state::blocked_by_failures);
        CHECK(view(t2).steps[step_a].state == step_state::error);
        CHECK(dead_letters().empty());
        REQUIRE(record(outcome(t2, step_c, 1)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        CHECK(view(t2).state == task_state::error);

        const auto dls = dead_letters();
        REQUIRE(dls.size() == 1);
        CHECK(dls[0].task == t2);
        CHECK(dls[0].key == tmpl->key());
        CHECK(dls[0].failed_steps == std::vector<std::string>{"a"});
        CHECK_FALSE(dls[0].reason.empty());
        CHECK(list({.state = task_state::error}).size() == 1);
    }
};

} // namespace tasker::testing
