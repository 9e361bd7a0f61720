#pragma once
// The store conformance suite, contracts 4 to 7 and 10: claims, leases, heartbeats and
// checkpoints, recording results, and processing them into what runs next.

#include <tasker/testing/conformance/store_suite.hpp>

namespace tasker::testing {

/// Contracts 4 to 7 and 10: claims, leases, heartbeats and checkpoints, recording results,
/// and processing them into what runs next.
template <store_fixture F>
class store_claim_and_result_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::store, suite::ticks, suite::retry_delay, suite::register_flow, suite::create,
        suite::view, suite::claim, suite::claim_from_thread, suite::outcome, suite::record, suite::orchestrate,
        suite::drain, suite::ready, suite::unknown_task, suite::f_, suite::worker_q_, suite::orchestration_q_,
        suite::step_a, suite::step_b, suite::step_c;

public:
    using suite::suite;

    /// Contract 4: a claim is a compare-and-set: of two claims of the same attempt exactly
    /// one wins, whether they come in one call or from two threads at once.
    void claim_is_compare_and_set()
    {
        const auto id = create(register_flow()).id;
        std::vector<claim_request> twice{{{id, step_a}, 1, ticks(30)}, {{id, step_a}, 1, ticks(30)}};
        const auto out = run(store().claim_steps(std::move(twice)), "claim_steps");
        REQUIRE(out.size() == 2);
        CHECK(std::count_if(out.begin(), out.end(), [](const claim_outcome& o) {
                  return o.status == claim_status::claimed;
              }) == 1);
        CHECK(std::count_if(out.begin(), out.end(), [](const claim_outcome& o) {
                  return o.status == claim_status::busy;
              }) == 1);

        std::latch start(2);
        std::array<std::optional<result<std::vector<claim_outcome>>>, 2> racing;
        {
            std::jthread first([&] { racing[0] = claim_from_thread(start, id, step_c); });
            std::jthread second([&] { racing[1] = claim_from_thread(start, id, step_c); });
        }
        int claimed = 0;
        for (auto& r : racing) {
            REQUIRE(r.has_value());
            REQUIRE(r->has_value());
            REQUIRE((*r)->size() == 1);
            claimed += (**r)[0].status == claim_status::claimed;
            CHECK(((**r)[0].status == claim_status::claimed || (**r)[0].status == claim_status::busy));
        }
        CHECK(claimed == 1);

        const auto v = view(id);
        for (auto step : {step_a, step_c}) {
            INFO("step " << v.steps[step].name);
            CHECK(v.steps[step].state == step_state::in_progress);
            CHECK(v.steps[step].attempts == 1);
            CHECK(std::count_if(v.step_transitions.begin(), v.step_transitions.end(), [&](const step_transition& t) {
                      return t.step == step && t.to == step_state::in_progress;
                  }) == 1);
        }
    }

    /// Contract 4: what a claim returns, and the other answers: `busy` while the lease
    /// runs, `stale` for an attempt not enqueued or a step not ready, `not_found`.
    void claim_answers()
    {
        const auto tmpl = register_flow();
        const auto id = create(tmpl).id;
        const auto c = claim(id, step_a, 1, ticks(30));
        REQUIRE(c.status == claim_status::claimed);
        CHECK(c.claim.ref == step_ref{id, step_a});
        CHECK(c.claim.attempt == 1);
        REQUIRE(c.claim.tmpl);
        CHECK(c.claim.tmpl->key() == tmpl->key());
        REQUIRE(c.claim.context);
        CHECK(c.claim.context->at("order") == 17);
        CHECK(c.claim.ancestor_results.empty());
        CHECK(c.claim.lease_until - c.claim.claimed_at == ticks(30));

        f_.advance(ticks(10));
        const auto busy = claim(id, step_a, 1, ticks(30));
        CHECK(busy.status == claim_status::busy);
        CHECK(busy.retry_in > duration::zero());
        CHECK(busy.retry_in <= ticks(20));
        CHECK(claim(id, step_a, 2, ticks(30)).status == claim_status::stale); // attempt 2 was never enqueued
        CHECK(claim(id, step_b, 1, ticks(30)).status == claim_status::stale); // b waits for a
        CHECK(claim(unknown_task(), step_a, 1, ticks(30)).status == claim_status::not_found);
        CHECK(claim(id, 99, 1, ticks(30)).status == claim_status::not_found);
        CHECK(view(id).steps[step_a].attempts == 1);
    }

    /// Contract 4, owners: a claim asked again by the owner it named (its answer was lost) is
    /// the owner's again -- same attempt, no second claim in the history -- while anyone else,
    /// or a claim without an owner, finds the step busy.
    void claim_returns_to_its_owner()
    {
        const auto tmpl = register_flow();
        const auto id = create(tmpl).id;
        const auto owner = uuid::parse("01a22544-7fe6-7000-b65c-c0fd05f5ffdb").value();
        const auto other = uuid::parse("01a22544-7fe6-7000-b65c-c0fd05f5ffdc").value();
        const auto first = claim(id, step_a, 1, ticks(30), owner);
        REQUIRE(first.status == claim_status::claimed);
        const auto transitions = view(id).step_transitions.size();

        f_.advance(ticks(5));
        const auto again = claim(id, step_a, 1, ticks(30), owner);
        REQUIRE(again.status == claim_status::claimed);
        CHECK(again.claim.attempt == 1);
        CHECK(again.claim.lease_until == first.claim.lease_until); // the lease it holds, not a new one
        REQUIRE(again.claim.context);
        CHECK(again.claim.context->at("order") == 17);
        CHECK(claim(id, step_a, 1, ticks(30), other).status == claim_status::busy);
        CHECK(claim(id, step_a, 1, ticks(30)).status == claim_status::busy);
        const auto v = view(id);
        CHECK(v.steps[step_a].attempts == 1);
        CHECK(v.step_transitions.size() == transitions);
        CHECK(v.steps[step_a].state == step_state::in_progress);
    }

    /// Contract 6: a claimed attempt's result is recorded once, with its `step_result`
    /// message; a duplicate, a result for another attempt or an unclaimed step, and one
    /// for an unknown task are ignored and send nothing.
    void record_results_once()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);

        std::vector<step_outcome> twice{outcome(id, step_a, 1), outcome(id, step_a, 1)};
        const auto statuses = run(store().record_results(std::move(twice)), "record_results");
        REQUIRE(statuses.size() == 2);
        CHECK(statuses[0] == record_status::recorded);
        CHECK(statuses[1] == record_status::ignored);
        auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::enqueued_for_orchestration);
        REQUIRE(v.steps[step_a].result);
        CHECK(v.steps[step_a].result->at("step") == static_cast<int>(step_a));
        const std::vector<message> told{message{message_kind::step_result, step_a, 1, id}};
        CHECK(drain(orchestration_q_) == told);

        const auto before = conformance::fingerprint(v);
        CHECK(record(outcome(id, step_a, 1)) == record_status::ignored); // late duplicate
        CHECK(record(outcome(id, step_a, 2)) == record_status::ignored); // not the current attempt
        CHECK(record(outcome(id, step_b, 1)) == record_status::ignored); // pending
        CHECK(record(outcome(id, step_c, 1)) == record_status::ignored); // enqueued, never claimed
        CHECK(record(outcome(unknown_task(), step_a, 1)) == record_status::ignored);
        CHECK(conformance::fingerprint(view(id)) == before);
        CHECK(drain(orchestration_q_).empty());
        CHECK(drain(worker_q_).empty());
    }

    /// Contract 7: processing a success completes the step and starts its dependent, whose
    /// claim sees the result; processing the same message again changes and sends nothing.
    void orchestrate_moves_on_once()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1)) == record_status::recorded);
        const auto results = drain(orchestration_q_);
        REQUIRE(results.size() == 1);

        orchestrate(results);
        const auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::complete);
        CHECK(v.steps[step_b].state == step_state::enqueued);
        CHECK(v.state == task_state::steps_in_process);
        const std::vector<message> next{ready(id, step_b, 1)};
        CHECK(drain(worker_q_) == next);

        orchestrate(results);
        CHECK(conformance::fingerprint(view(id)) == conformance::fingerprint(v));
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());

        const auto b = claim(id, step_b, 1, ticks(30));
        REQUIRE(b.status == claim_status::claimed);
        REQUIRE(b.claim.ancestor_results.size() == 1);
        CHECK(b.claim.ancestor_results[0].first == step_a);
        REQUIRE(b.claim.ancestor_results[0].second);
        CHECK(b.claim.ancestor_results[0].second->at("step") == static_cast<int>(step_a));
    }

    /// Contracts 6 and 7 on failure: the failure is kept, the retry is a delayed
    /// `retry_due` message that stays invisible for the backoff, and the next attempt is
    /// enqueued and claimable once it is processed.
    void failed_attempt_is_retried_after_backoff()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1, error_kind::retryable)) == record_status::recorded);
        auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::enqueued_as_error_for_orchestration);
        REQUIRE(v.steps[step_a].last_error);
        CHECK(v.steps[step_a].last_error->kind == error_kind::retryable);
        CHECK(v.steps[step_a].last_error->message == "conformance failure");
        CHECK(v.steps[step_a].last_error->attempt == 1);

        orchestrate(drain(orchestration_q_));
        CHECK(view(id).steps[step_a].state == step_state::waiting_for_retry);
        CHECK(drain(orchestration_q_).empty()); // the retry waits for its backoff
        f_.advance(retry_delay() - ticks(1));
        CHECK(drain(orchestration_q_).empty());
        f_.advance(ticks(2));
        const auto due = drain(orchestration_q_);
        const std::vector<message> expected{message{message_kind::retry_due, step_a, 1, id}};
        CHECK(due == expected);

        orchestrate(due);
        CHECK(view(id).steps[step_a].state == step_state::enqueued);
        const std::vector<message> next{ready(id, step_a, 2)};
        CHECK(drain(worker_q_) == next);
        REQUIRE(claim(id, step_a, 2, ticks(30)).status == claim_status::claimed);
        CHECK(view(id).steps[step_a].attempts == 2);
    }

    /// Contract 5, and the lost worker of contract 4: a heartbeat keeps the caller's live
    /// claim and only that; once another claim finds the lease run out, the attempt is
    /// failed, the heartbeat and the late result are refused.
    void extend_leases_only_for_own_claims()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(10)).status == claim_status::claimed);
        f_.advance(ticks(8));
        std::vector<lease_extension> exts{{{id, step_a}, 1, ticks(10)},  // ours: until tick 18
                                          {{id, step_a}, 2, ticks(10)},  // another attempt
                                          {{id, step_c}, 1, ticks(10)},  // enqueued, never claimed
                                          {{id, step_b}, 1, ticks(10)},  // pending
                                          {{unknown_task(), step_a}, 1, ticks(10)}};
        const auto kept = run(store().extend_leases(std::move(exts)), "extend_leases");
        REQUIRE(kept.size() == 5);
        CHECK(kept[0]);
        CHECK_FALSE(kept[1]);
        CHECK_FALSE(kept[2]);
        CHECK_FALSE(kept[3]);
        CHECK_FALSE(kept[4]);

        f_.advance(ticks(8)); // tick 16: past the first lease, within the extension
        CHECK(claim(id, step_a, 1, ticks(10)).status == claim_status::busy);
        f_.advance(ticks(3)); // tick 19: the extension ran out too
        CHECK(claim(id, step_a, 1, ticks(10)).status == claim_status::lost);
        const auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::enqueued_as_error_for_orchestration);
        REQUIRE(v.steps[step_a].last_error);
        CHECK(v.steps[step_a].last_error->kind == error_kind::timeout);
        const std::vector<message> told{message{message_kind::step_result, step_a, 1, id}};
        CHECK(drain(orchestration_q_) == told);

        std::vector<lease_extension> late{{{id, step_a}, 1, ticks(10)}};
        const auto refused = run(store().extend_leases(std::move(late)), "extend_leases");
        REQUIRE(refused.size() == 1);
        CHECK_FALSE(refused[0]);
        CHECK(record(outcome(id, step_a, 1)) == record_status::ignored);
        CHECK(view(id).steps[step_a].state == step_state::enqueued_as_error_for_orchestration);
    }

    /// Contract 10: a checkpoint is kept only for the attempt that runs, and holds its lease
    /// like a heartbeat.
    void checkpoints_only_for_the_running_attempt()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(2)).status == claim_status::claimed);
        const auto data = make_json(json::object{{"cursor", 7}, {"items_processed", 7}});
        std::vector<step_checkpoint> cps{{{id, step_a}, 1, data, ticks(6)},  // ours: until tick 6
                                         {{id, step_a}, 2, data, ticks(6)},  // another attempt
                                         {{id, step_c}, 1, data, ticks(6)},  // enqueued, never claimed
                                         {{unknown_task(), step_a}, 1, data, ticks(6)}};
        const auto kept = run(store().checkpoint_steps(std::move(cps)), "checkpoint_steps");
        CHECK(kept == std::vector<bool>{true, false, false, false});
        f_.advance(ticks(3)); // past the claim's lease, within the checkpoint's
        CHECK(claim(id, step_a, 1, ticks(2), uuid_generator().next(f_.now())).status == claim_status::busy);
        const auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::in_progress);
        REQUIRE(v.steps[step_a].checkpoint);
        CHECK(*v.steps[step_a].checkpoint == *data);
        CHECK_FALSE(v.steps[step_c].checkpoint);
    }
};

} // namespace tasker::testing
