#pragma once
// The store conformance suite, contracts 8, 9 and 11-13: staleness passes, the dead-letter queue
// as an investigation tracker, completing and retrying steps by hand, and the history's origins
// and attempts.

#include <tasker/testing/conformance/store_suite.hpp>

#include <latch>
#include <thread>

namespace tasker::testing {

template <store_fixture F>
class store_operation_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::blocking, suite::failed_with, suite::store, suite::ticks, suite::flow, suite::create,
        suite::view, suite::dead_letters, suite::act, suite::claim, suite::outcome, suite::record, suite::orchestrate,
        suite::drain, suite::failed_for_good, suite::retry_delay, suite::f_, suite::worker_q_, suite::orchestration_q_, suite::step_a,
        suite::step_b, suite::step_c;

public:
    using suite::suite;

    /// Contract 11: a task past its limit is reported by a dry run (nothing changes), near
    /// it by a wider report, and expired once by a real pass, with its dead letter and the
    /// reason on its history; a reset reopens it and closes the entry.
    void staleness_pass_expires_once()
    {
        const auto tmpl = register_stale_flow("stale_flow", "dlq");
        const auto id = waiting_for_retry(tmpl);
        const auto before = conformance::fingerprint(view(id));

        auto near = sweep({.dry_run = false, .report_from = 0.25}, f_.now() + std::chrono::seconds(30));
        REQUIRE(near.size() == 1);
        CHECK(near[0].task == id);
        CHECK(near[0].verdict.limit == lifecycle_limit::max_waiting_for_retry);
        CHECK_FALSE(near[0].verdict.passed());
        CHECK_FALSE(near[0].acted);

        auto dry = sweep({.dry_run = true}, f_.now() + std::chrono::minutes(2));
        REQUIRE(dry.size() == 1);
        CHECK(dry[0].verdict.passed());
        CHECK_FALSE(dry[0].acted);
        CHECK(conformance::fingerprint(view(id)) == before);
        CHECK(dead_letters().empty());

        auto real = sweep({}, f_.now() + std::chrono::minutes(2));
        REQUIRE(real.size() == 1);
        CHECK(real[0].acted);
        const auto v = view(id);
        CHECK(v.state == task_state::error);
        CHECK(v.steps[step_a].state == step_state::error);
        REQUIRE_FALSE(v.task_transitions.empty());
        const auto& last = v.task_transitions.back();
        CHECK(last.event == task_event::expire);
        CHECK(last.actor() == "orchestrator:conformance");
        CHECK(last.reason().find("max_waiting_for_retry_minutes") != std::string::npos);
        REQUIRE(last.origin);
        REQUIRE(last.origin->metadata);
        CHECK(last.origin->metadata->at("limit") == "max_waiting_for_retry");

        const auto dls = dead_letters();
        REQUIRE(dls.size() == 1);
        CHECK(dls[0].cause == dead_letter_cause::staleness);
        CHECK(dls[0].status == dead_letter_status::pending);
        CHECK(dls[0].failed_steps == std::vector<std::string>{"a"});
        REQUIRE(dls[0].snapshot);
        CHECK(dls[0].snapshot->at("context").at("order") == 17);

        CHECK(sweep({}, f_.now() + std::chrono::minutes(3)).empty()); // ended: nothing left to find
        CHECK(dead_letters().size() == 1);

        REQUIRE(act(id, action::reset_step{"a"}));
        CHECK(view(id).steps[step_a].state == step_state::enqueued);
        const auto entry = run(store().dead_letter_of(id), "dead_letter_of");
        CHECK(entry.status == dead_letter_status::manually_resolved);
        CHECK(entry.resolved_by == "operator:conformance");
    }

    /// Contract 11: passes running at once expire each stale task once.
    void concurrent_passes_expire_each_task_once()
    {
        const auto tmpl = register_stale_flow("stale_flow", "dlq");
        constexpr int tasks = 6;
        for (int k = 0; k < tasks; ++k)
            waiting_for_retry(tmpl, k);
        const auto at = f_.now() + std::chrono::minutes(2);
        std::latch start(2);
        std::vector<result<std::vector<stale_task>>> passes(2, std::vector<stale_task>{});
        std::vector<std::thread> threads;
        for (int p = 0; p < 2; ++p)
            threads.emplace_back([&, p] {
                staleness_sweep s;
                s.origin = {"orchestrator:conformance", {}, nullptr};
                s.as_of = at;
                start.arrive_and_wait();
                passes[p] = blocking(store().sweep_stale(std::move(s)));
            });
        for (auto& t : threads)
            t.join();
        int acted = 0;
        for (const auto& p : passes) {
            REQUIRE(p);
            for (const auto& f : *p)
                acted += f.acted;
        }
        CHECK(acted == tasks);
        CHECK(dead_letters().size() == static_cast<std::size_t>(tasks));
    }

    /// Contract 11: action `error` ends the task without a dead letter, `none` only reports it.
    void staleness_actions_error_and_none()
    {
        const auto erring = waiting_for_retry(register_stale_flow("stale_error", "error"));
        const auto ignored = waiting_for_retry(register_stale_flow("stale_none", "none"));
        auto found = sweep({}, f_.now() + std::chrono::minutes(2));
        REQUIRE(found.size() == 2);
        for (const auto& f : found)
            CHECK(f.acted == (f.task == erring));
        CHECK(view(erring).state == task_state::error);
        CHECK(view(ignored).state == task_state::waiting_for_retry);
        CHECK(dead_letters().empty());

        staleness_sweep bad;
        bad.limit = 0;
        CHECK(failed_with(blocking(store().sweep_stale(bad)), {errc::invalid_request}));
    }

    /// Contracts 12 and 13: entries listed newest first and paged, filtered, counted, worked
    /// on (status and notes, who closed them and when), the investigation queue, bad input.
    void dead_letter_queue_tracks_investigations()
    {
        const auto tmpl = run(store().register_template(flow("1.0.0")), "register_template");
        std::vector<task_id> ids;
        for (int k = 0; k < 3; ++k)
            ids.push_back(failed_for_good(tmpl, k));
        const auto all = dead_letters();
        REQUIRE(all.size() == 3);
        CHECK(all[0].task == ids[2]); // newest first
        CHECK(all[2].task == ids[0]);
        CHECK(all[0].id > all[1].id);
        for (const auto& e : all) {
            CHECK(e.cause == dead_letter_cause::permanent_failure);
            CHECK(e.key == tmpl->key());
            REQUIRE(e.snapshot);
            CHECK(e.snapshot->at("state") == "error");
        }

        auto first = run(store().dead_letters({.limit = 2}), "dead_letters");
        REQUIRE(first.entries.size() == 2);
        REQUIRE_FALSE(first.next_cursor.empty());
        auto second = run(store().dead_letters({.limit = 2, .cursor = first.next_cursor}), "dead_letters");
        REQUIRE(second.entries.size() == 1);
        CHECK(second.entries[0].task == ids[0]);
        CHECK(second.next_cursor.empty());
        CHECK(dead_letters({.cause = dead_letter_cause::staleness}).empty());
        CHECK(dead_letters({.namespace_name = std::string("elsewhere")}).empty());

        const auto oldest = all[2];
        auto worked = run(store().update_dead_letter(
                              oldest.id, {dead_letter_status::investigating, "looking at the vendor", "operator:bob"}),
                          "update_dead_letter");
        CHECK(worked.status == dead_letter_status::investigating);
        REQUIRE(worked.notes.size() == 1);
        CHECK(worked.notes[0].author == "operator:bob");
        CHECK(worked.notes[0].text == "looking at the vendor");
        auto closed = run(store().update_dead_letter(all[1].id, {dead_letter_status::permanently_failed, "", "operator:carol"}),
                          "update_dead_letter");
        CHECK(closed.resolved_by == "operator:carol");
        CHECK(closed.resolved_at.has_value());

        const auto queue = dead_letters({.order = dead_letter_order::investigation});
        REQUIRE(queue.size() == 2); // open entries, oldest first at equal priority
        CHECK(queue[0].task == ids[0]);
        CHECK(queue[1].task == ids[2]);
        CHECK(dead_letters({.status = dead_letter_status::investigating}).size() == 1);
        const auto counts = run(store().dead_letter_counts(), "dead_letter_counts");
        CHECK(counts.total() == 3);
        CHECK(counts.of(dead_letter_cause::permanent_failure, dead_letter_status::pending) == 1);
        CHECK(counts.of(dead_letter_status::investigating) == 1);
        CHECK(counts.of(dead_letter_status::permanently_failed) == 1);
        CHECK(run(store().dead_letter_of(ids[0]), "dead_letter_of").notes.size() == 1);

        // Bad input is refused and changes nothing.
        CHECK(failed_with(blocking(store().update_dead_letter(oldest.id, {{}, "", "operator:bob"})),
                          {errc::invalid_request}));
        CHECK(failed_with(blocking(store().update_dead_letter(999999, {dead_letter_status::cancelled, "", "x"})),
                          {errc::task_not_found}));
        CHECK(failed_with(blocking(store().dead_letters({.cursor = "bogus"})), {errc::invalid_request}));
        CHECK(failed_with(blocking(store().dead_letter_of(suite::unknown_task())), {errc::task_not_found}));
        CHECK(run(store().dead_letter_of(ids[0]), "dead_letter_of").status == dead_letter_status::investigating);

        // An entry takes its task's priority: an urgent task goes to the head of the queue.
        const auto urgent = failed_for_good(tmpl, 4, 50);
        CHECK(run(store().dead_letter_of(urgent), "dead_letter_of").priority == 50);
        const auto ordered = dead_letters({.order = dead_letter_order::investigation});
        REQUIRE(ordered.size() == 3);
        CHECK(ordered[0].task == urgent);
        auto head = run(store().dead_letters({.order = dead_letter_order::investigation, .limit = 1}), "dead_letters");
        REQUIRE(head.entries.size() == 1);
        auto rest = run(store().dead_letters({.order = dead_letter_order::investigation, .limit = 5,
                                              .cursor = head.next_cursor}),
                        "dead_letters");
        REQUIRE(rest.entries.size() == 2);
        CHECK(rest.entries[0].task == ids[0]);
    }

    /// Contract 8: completing a failed step by hand with a result reopens the task and its
    /// dependent runs on that result; retry_failed resets every failed step; both record their
    /// operator and reason; an action without an actor is refused.
    void complete_step_and_retry_failed()
    {
        const auto tmpl = run(store().register_template(flow("1.0.0")), "register_template");
        const auto id = failed_for_good(tmpl, 1);
        CHECK(failed_with(blocking(store().apply_action(id, action::retry_failed{}, change_origin{})),
                          {errc::invalid_request}));
        operator_action complete = action::complete_step{"a", make_json(json::object{{"by", "hand"}})};
        REQUIRE(act(id, std::move(complete)));
        auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::complete);
        CHECK(v.steps[step_a].result->at("by") == "hand");
        CHECK(v.steps[step_b].state == step_state::enqueued);
        bool recorded = false;
        for (const auto& h : v.step_transitions)
            if (h.event == step_event::complete_manually)
                recorded = h.actor() == "operator:conformance" && h.reason() == "testing";
        CHECK(recorded);
        drain(worker_q_);
        const auto claimed = claim(id, step_b, 1, ticks(30));
        REQUIRE(claimed.status == claim_status::claimed);
        REQUIRE(claimed.claim.ancestor_results.size() == 1);
        CHECK(claimed.claim.ancestor_results[0].second->at("by") == "hand");

        // retry_failed: b fails for good, then every failed step starts over.
        REQUIRE(record(outcome(id, step_b, 1, error_kind::permanent)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        REQUIRE(view(id).state == task_state::error);
        REQUIRE(act(id, action::retry_failed{}));
        v = view(id);
        CHECK(v.steps[step_b].state == step_state::enqueued);
        CHECK(v.steps[step_b].attempts == 0);
        const std::vector<message> again{suite::ready(id, step_b, 1)};
        CHECK(drain(worker_q_) == again);
    }

    /// Contract 9: every attempt keeps its worker, times, outcome and error; orchestration
    /// records its actor.
    void history_keeps_every_attempt_and_its_origin()
    {
        const auto tmpl = run(store().register_template(flow("1.0.0")), "register_template");
        const auto id = create(tmpl).id;
        drain(worker_q_);
        uuid_generator owners(7);
        const uuid first = owners.next(f_.now()), second = owners.next(f_.now());
        REQUIRE(claim(id, step_a, 1, ticks(30), first).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1, error_kind::retryable)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        f_.advance(retry_delay() + ticks(1));
        orchestrate(drain(orchestration_q_));
        REQUIRE(claim(id, step_a, 2, ticks(30), second).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 2)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));

        const auto v = view(id);
        const auto attempts = v.attempts(step_a);
        REQUIRE(attempts.size() == 2);
        CHECK(attempts[0].number == 1);
        CHECK(attempts[0].worker == worker_actor(first));
        CHECK(attempts[0].outcome == step_event::fail);
        REQUIRE(attempts[0].failure);
        CHECK(attempts[0].failure->message == "conformance failure");
        CHECK(attempts[0].ended_at.has_value());
        CHECK(attempts[1].number == 2);
        CHECK(attempts[1].worker == worker_actor(second));
        CHECK(attempts[1].outcome == step_event::succeed);
        CHECK_FALSE(attempts[1].failure);
        CHECK(attempts[1].started_at >= attempts[0].started_at);
        for (const auto& h : v.step_transitions) {
            INFO("step " << h.step << " " << h.event);
            if (h.event == step_event::claim || h.event == step_event::succeed || h.event == step_event::fail)
                CHECK(h.actor().starts_with("worker:"));
            else if (h.event == step_event::complete || h.event == step_event::wait_for_retry)
                CHECK(h.actor().starts_with("orchestrator:"));
        }
    }

private:
    template_ptr register_stale_flow(std::string_view name, std::string_view action)
    {
        auto yaml = conformance::conformance_flow_yaml(name, "1.0.0", "conformance.a", std::chrono::hours(1));
        yaml += "lifecycle:\n  max_waiting_for_retry_minutes: 1\n  staleness_action: " + std::string(action) + "\n";
        return run(store().register_template(conformance::expect_value(load_template(yaml), "load_template")),
                   "register_template");
    }

    /// A task of `tmpl` whose step c is done and whose step a failed once and waits an hour for
    /// its retry: the task is in waiting_for_retry.
    task_id waiting_for_retry(const template_ptr& tmpl, int order = 17)
    {
        const auto id = create(tmpl, {}, order).id;
        REQUIRE(claim(id, step_c, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_c, 1)) == record_status::recorded);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1, error_kind::retryable)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        drain(worker_q_);
        REQUIRE(view(id).state == task_state::waiting_for_retry);
        return id;
    }

    std::vector<stale_task> sweep(staleness_sweep s, time_point at)
    {
        s.origin = {"orchestrator:conformance", {}, nullptr};
        s.as_of = at;
        return run(store().sweep_stale(std::move(s)), "sweep_stale");
    }
};

} // namespace tasker::testing
