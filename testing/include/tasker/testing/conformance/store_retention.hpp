#pragma once
// The store conformance suite, contract 15: retention takes old finished tasks, in batches,
// each once, and keeps what someone may still need (live tasks, tasks in error under
// investigation, dead-letter entries).

#include <tasker/testing/conformance/store_suite.hpp>

#include <latch>
#include <thread>

namespace tasker::testing {

template <store_fixture F>
class store_retention_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::blocking, suite::failed_with, suite::store, suite::ticks, suite::create, suite::view,
        suite::list, suite::claim, suite::outcome, suite::record, suite::orchestrate, suite::drain,
        suite::failed_for_good, suite::f_, suite::worker_q_, suite::orchestration_q_, suite::step_a, suite::step_b,
        suite::step_c;

public:
    using suite::suite;

    /// Contract 15: only finished tasks past the age go, a batch at a time, and what stays is
    /// untouched: a running task, a task in error with an open dead letter (until the entry is
    /// closed), the dead-letter entries themselves. A task gone answers like an unknown one.
    void retention_takes_old_finished_tasks()
    {
        const auto tmpl = suite::register_flow();
        std::vector<task_id> done;
        for (int k = 0; k < 3; ++k)
            done.push_back(completed(tmpl, k));
        const auto cancelled = create(tmpl, {}, 10).id;
        REQUIRE(suite::act(cancelled, action::cancel{}));
        const auto failed = failed_for_good(tmpl, 11);
        const auto running = create(tmpl, {}, 12).id;
        drain(worker_q_);

        // Young: nothing goes.
        auto none = purge({.finished_for = std::chrono::hours(1), .batch = 10}, f_.now());
        CHECK(none.removed == 0);
        CHECK_FALSE(none.more);
        CHECK(list({}).size() == 6);

        // Old: two at a time until a short batch; the failed task under investigation stays.
        const auto later = f_.now() + std::chrono::hours(2);
        std::size_t removed = 0;
        int batches = 0;
        for (bool more = true; more; ++batches) {
            REQUIRE(batches < 20);
            auto b = purge({.finished_for = std::chrono::hours(1), .batch = 2}, later);
            CHECK(b.removed <= 2);
            if (b.removed == 2) // a full batch says more may follow (as may a store's full batch of messages)
                CHECK(b.more);
            removed += b.removed;
            more = b.more;
        }
        CHECK(removed == 4);
        CHECK(batches >= 2);
        for (const auto& id : done)
            CHECK(failed_with(blocking(store().get_task(id)), {errc::task_not_found}));
        CHECK(failed_with(blocking(store().get_task(cancelled)), {errc::task_not_found}));
        CHECK(view(failed).state == task_state::error);
        CHECK(view(running).state == task_state::steps_in_process);
        const auto left = list({});
        CHECK(left.size() == 2);

        // Closing the investigation lets the task go; its entry stays, snapshot and all.
        const auto entry = run(store().dead_letter_of(failed), "dead_letter_of");
        run(store().update_dead_letter(entry.id, {dead_letter_status::permanently_failed, "", "operator:conformance"}),
            "update_dead_letter");
        CHECK(purge({.finished_for = std::chrono::hours(1), .batch = 10}, later).removed == 1);
        CHECK(failed_with(blocking(store().get_task(failed)), {errc::task_not_found}));
        const auto kept = run(store().dead_letter_of(failed), "dead_letter_of");
        CHECK(kept.id == entry.id);
        CHECK(kept.status == dead_letter_status::permanently_failed);
        REQUIRE(kept.snapshot);
        CHECK(kept.snapshot->at("context").at("order") == 11);
        CHECK(view(running).state == task_state::steps_in_process);

        // Late messages and claims for a task that is gone change nothing.
        orchestrate({message{message_kind::step_result, step_b, 1, done[0]}});
        CHECK(claim(done[0], step_b, 1, ticks(30)).status == claim_status::not_found);
        CHECK(list({}).size() == 1);
    }

    /// Contract 15: an identity key is free again once its task is gone, and a bad pass is
    /// refused with its reason, taking nothing.
    void retention_frees_identities_and_refuses_bad_passes()
    {
        const auto tmpl = suite::register_flow();
        const auto first = completed(tmpl, 1, "order-1");
        const auto later = f_.now() + std::chrono::hours(2);
        const std::vector<std::pair<retention_pass, std::string>> bad_passes{
            {{.finished_for = duration::zero()}, "at least one second"},
            {{.batch = 0}, "1 to 10000 tasks, not 0"},
            {{.batch = 10001}, "1 to 10000 tasks, not 10001"}};
        for (auto [bad, says] : bad_passes) {
            bad.as_of = later;
            const auto r = blocking(store().purge_finished(bad));
            REQUIRE(failed_with(r, {errc::invalid_request}));
            CHECK_THAT(r.error().message, Catch::Matchers::Contains(says));
        }
        CHECK(view(first).state == task_state::complete);

        CHECK(purge({.finished_for = std::chrono::hours(1)}, later).removed == 1);
        const auto again = create(tmpl, "order-1", 1);
        CHECK(again.created);
        CHECK(again.id != first);
    }

    /// Contract 15: passes running at once take each task once.
    void concurrent_retention_takes_each_task_once()
    {
        const auto tmpl = suite::register_flow();
        constexpr int tasks = 6;
        for (int k = 0; k < tasks; ++k)
            completed(tmpl, k);
        const auto later = f_.now() + std::chrono::hours(2);
        std::latch start(2);
        std::vector<result<retention_report>> passes(2, retention_report{});
        std::vector<std::thread> threads;
        for (int p = 0; p < 2; ++p)
            threads.emplace_back([&, p] {
                start.arrive_and_wait();
                retention_report total;
                for (int batches = 0; batches < 20; ++batches) { // batches of one, racing
                    auto b = blocking(store().purge_finished({std::chrono::hours(1), retention_mode::remove, 1, later}));
                    if (!b) {
                        passes[p] = b.error();
                        return;
                    }
                    total.removed += b->removed;
                    if (!b->more)
                        break;
                }
                passes[p] = total;
            });
        for (auto& t : threads)
            t.join();
        std::size_t removed = 0;
        for (const auto& p : passes) {
            REQUIRE(p);
            removed += p->removed;
        }
        CHECK(removed == static_cast<std::size_t>(tasks));
        CHECK(list({}).empty());
    }

private:
    retention_report purge(retention_pass p, time_point at)
    {
        p.as_of = at;
        return run(store().purge_finished(std::move(p)), "purge_finished");
    }

    /// A task of `tmpl` run to `complete`: c and a, then b.
    task_id completed(const template_ptr& tmpl, int order, std::string identity = {})
    {
        const auto id = create(tmpl, std::move(identity), order).id;
        for (auto step : {step_c, step_a}) {
            REQUIRE(claim(id, step, 1, ticks(30)).status == claim_status::claimed);
            REQUIRE(record(outcome(id, step, 1)) == record_status::recorded);
        }
        orchestrate(drain(orchestration_q_));
        REQUIRE(claim(id, step_b, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_b, 1)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        drain(worker_q_);
        REQUIRE(view(id).state == task_state::complete);
        return id;
    }
};

} // namespace tasker::testing
