#pragma once
// The store conformance suite, contract 8: operator actions, and the actions a state does not
// allow.

#include <tasker/testing/conformance/store_suite.hpp>

namespace tasker::testing {

/// Contract 8: operator actions, and the actions a state does not allow.
template <store_fixture F>
class store_operator_action_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::failed_with, suite::illegal, suite::store, suite::ticks, suite::register_flow,
        suite::create, suite::view, suite::act, suite::claim, suite::outcome, suite::record, suite::drain,
        suite::ready, suite::unknown_task, suite::worker_q_, suite::orchestration_q_, suite::step_a, suite::step_b,
        suite::step_c;

public:
    using suite::suite;

    /// Contract 8: cancelling a running task cancels it and every unfinished step; the
    /// running attempt's heartbeat, result and the other step's claim are refused.
    void cancel_running_task()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        const auto state = run(store().apply_action(id, action::cancel{}, this->by_operator()), "apply_action(cancel)");
        CHECK(state == task_state::cancelled);
        const auto v = view(id);
        CHECK(v.state == task_state::cancelled);
        for (const auto& s : v.steps) {
            INFO("step " << s.name);
            CHECK(s.state == step_state::cancelled);
        }
        std::vector<lease_extension> heartbeat{{{id, step_a}, 1, ticks(30)}};
        const auto kept = run(store().extend_leases(std::move(heartbeat)), "extend_leases");
        REQUIRE(kept.size() == 1);
        CHECK_FALSE(kept[0]);
        CHECK(record(outcome(id, step_a, 1)) == record_status::ignored);
        CHECK(claim(id, step_c, 1, ticks(30)).status == claim_status::stale);
        CHECK(conformance::fingerprint(view(id)) == conformance::fingerprint(v));
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());
    }

    /// Contract 8: an operator resolves a step with a result: the step counts as done and
    /// its dependent starts, seeing that result.
    void resolve_step_starts_dependents()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        operator_action resolve = action::resolve_step{"a", make_json(json::object{{"manual", true}})};
        const auto state = run(store().apply_action(id, std::move(resolve), this->by_operator()), "apply_action(resolve_step)");
        const auto v = view(id);
        CHECK(state == v.state);
        CHECK(v.state == task_state::steps_in_process);
        CHECK(v.steps[step_a].state == step_state::resolved_manually);
        REQUIRE(v.steps[step_a].result);
        CHECK(v.steps[step_a].result->at("manual") == true);
        CHECK(v.steps[step_b].state == step_state::enqueued);
        const std::vector<message> next{ready(id, step_b, 1)};
        CHECK(drain(worker_q_) == next);
        const auto b = claim(id, step_b, 1, ticks(30));
        REQUIRE(b.status == claim_status::claimed);
        REQUIRE(b.claim.ancestor_results.size() == 1);
        REQUIRE(b.claim.ancestor_results[0].second);
        CHECK(b.claim.ancestor_results[0].second->at("manual") == true);
    }

    /// Contract 8 and DESIGN "State machines": an action the state does not allow is a
    /// typed error and changes nothing, on a running task and on a cancelled one.
    void illegal_actions_change_nothing()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        const auto running = conformance::fingerprint(view(id));

        CHECK(illegal(act(id, action::reset_step{"a"})));
        CHECK(illegal(act(id, action::resolve_task{})));
        CHECK(failed_with(act(id, action::reset_step{"zzz"}), {errc::step_not_found}));
        CHECK(failed_with(act(unknown_task(), action::cancel{}), {errc::task_not_found}));
        CHECK(conformance::fingerprint(view(id)) == running);
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());

        REQUIRE(act(id, action::cancel{}).has_value());
        const auto cancelled = conformance::fingerprint(view(id));
        CHECK(illegal(act(id, action::cancel{})));
        CHECK(failed_with(act(id, action::resolve_step{"b", make_json(json::object{})}),
                                  {errc::illegal_transition, errc::state_conflict}));
        CHECK(illegal(act(id, action::resolve_task{})));
        CHECK(conformance::fingerprint(view(id)) == cancelled);
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());
    }
};

} // namespace tasker::testing
