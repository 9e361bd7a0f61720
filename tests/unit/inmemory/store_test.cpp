#include <tasker/detail/run_blocking.hpp>
#include <tasker/inmemory/store.hpp>

#include "support/templates.hpp"

#include "support/catch.hpp"

#include <atomic>

using namespace tasker;

namespace {
const change_origin by_operator{"operator:test", "a test", nullptr};
}
using namespace std::chrono_literals;

namespace {

struct stepped_clock {
    std::shared_ptr<std::atomic<time_point::rep>> now_ =
        std::make_shared<std::atomic<time_point::rep>>(time_point{std::chrono::hours(1000)}.time_since_epoch().count());
    time_point now() const { return time_point{duration{now_->load()}}; }
    awaitable<void> wait_until(time_point) const { co_return; }
    void advance(duration d) { *now_ += d.count(); }
};

// Records what the store sends, in order, with the store's state at that moment.
struct recording_sink final : message_sink {
    std::vector<envelope> sent;
    void deliver(std::span<const envelope> batch) override { sent.insert(sent.end(), batch.begin(), batch.end()); }
    std::vector<envelope> take() { return std::exchange(sent, {}); }
};

struct fixture {
    stepped_clock clock;
    recording_sink sink;
    inmemory::store store{sink, any_clock(clock), {.seed = 3}};
    template_ptr tmpl;

    fixture()
    {
        auto t = test::make_template({{"a", {}, {.max_attempts = 2, .base = 1s, .jitter = 0.0}}, {"b", {"a"}}});
        tmpl = store.register_template_sync(*t).value();
    }

    task_id create(std::string identity = {})
    {
        auto r = store.create_task_sync({tmpl, make_json(json::object{{"n", 1}}), std::move(identity), {}});
        REQUIRE(r);
        return r->id;
    }

    claim_outcome claim(const task_id& id, std::uint32_t step, std::uint32_t attempt, duration lease = 30s)
    {
        claim_request req{{id, step}, attempt, lease};
        return store.claim_steps_sync(std::span(&req, 1))[0];
    }

    record_status record(const task_id& id, std::uint32_t step, std::uint32_t attempt, bool ok)
    {
        step_outcome o{{id, step}, attempt, ok, ok ? make_json(json::object{{"v", step}}) : nullptr,
                       ok ? std::nullopt : std::optional(step_failure{error_kind::retryable, "boom", std::nullopt, 0}),
                       clock.now(), clock.now()};
        return store.record_results_sync(std::span(&o, 1))[0];
    }

    void orchestrate(std::vector<envelope> envs)
    {
        std::vector<message> ms;
        for (auto& e : envs)
            ms.push_back(e.msg);
        store.orchestrate_sync(ms);
    }
};

} // namespace

static_assert(task_store<inmemory::store>);

TEST_CASE_METHOD(fixture, "in-memory store: creating a task enqueues its roots with their message", "[unit][inmemory][store]")
{
    const auto id = create();
    auto sent = sink.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].queue.view() == "worker_tests");
    CHECK(sent[0].msg == message{message_kind::step_ready, 0, 1, id});
    auto v = store.get_task_sync(id);
    REQUIRE(v);
    CHECK(v->state == task_state::steps_in_process);
    CHECK(v->steps[0].state == step_state::enqueued);
    CHECK(v->steps[1].state == step_state::pending);
    CHECK(v->task_transitions.size() == 3);
    REQUIRE(v->step_transitions.size() == 1);
    CHECK(v->step_transitions[0].seq == 3); // after start and ready_steps_found, before steps_enqueued
    CHECK(v->context->at("n") == 1);
}

TEST_CASE_METHOD(fixture, "in-memory store: the identity key makes creation idempotent", "[unit][inmemory][store]")
{
    const auto a = create("order-17");
    sink.take();
    auto again = store.create_task_sync({tmpl, nullptr, "order-17", {}});
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK(again->id == a);
    CHECK(sink.sent.empty()); // nothing enqueued twice
    CHECK(create("order-18") != a);
    CHECK(store.count(task_state::steps_in_process) == 2);
}

TEST_CASE_METHOD(fixture, "in-memory store: an unregistered template creates nothing", "[unit][inmemory][store]")
{
    auto other = test::make_template({{"x"}}, "tests", "never_registered");
    auto r = store.create_task_sync({other, nullptr, {}, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::template_not_found);
    CHECK(sink.sent.empty());
    CHECK(store.count(task_state::steps_in_process) == 0);
}

TEST_CASE_METHOD(fixture, "in-memory store: claims are compare-and-set on the attempt", "[unit][inmemory][store]")
{
    const auto id = create();
    auto c = claim(id, 0, 1);
    REQUIRE(c.status == claim_status::claimed);
    CHECK(c.claim.attempt == 1);
    CHECK(c.claim.context->at("n") == 1);
    CHECK(c.claim.lease_until == clock.now() + 30s);

    auto dup = claim(id, 0, 1); // the same message again, the lease is live
    CHECK(dup.status == claim_status::busy);
    CHECK(dup.retry_in == 30s);
    CHECK(claim(id, 0, 2).status == claim_status::stale); // no attempt 2 was enqueued
    CHECK(claim(id, 1, 1).status == claim_status::stale); // b is still pending
    CHECK(claim(uuid{}, 0, 1).status == claim_status::not_found);
}

TEST_CASE_METHOD(fixture, "in-memory store: a result is recorded once and tells the orchestrator", "[unit][inmemory][store]")
{
    const auto id = create();
    sink.take();
    REQUIRE(claim(id, 0, 1).status == claim_status::claimed);
    CHECK(record(id, 0, 1, true) == record_status::recorded);
    auto sent = sink.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].queue == orchestration_queue());
    CHECK(sent[0].msg == message{message_kind::step_result, 0, 1, id});
    CHECK(record(id, 0, 1, true) == record_status::ignored); // a duplicate
    CHECK(sink.sent.empty());

    orchestrate(sent);
    auto next = sink.take();
    REQUIRE(next.size() == 1);
    CHECK(next[0].msg == message{message_kind::step_ready, 1, 1, id});
    auto v = store.get_task_sync(id).value();
    CHECK(v.steps[0].state == step_state::complete);
    CHECK(v.steps[0].result->at("v") == 0);

    // b's claim sees a's result among its ancestors.
    auto cb = claim(id, 1, 1);
    REQUIRE(cb.status == claim_status::claimed);
    REQUIRE(cb.claim.ancestor_results.size() == 1);
    CHECK(cb.claim.ancestor_results[0].first == 0);
    CHECK(cb.claim.ancestor_results[0].second->at("v") == 0);
}

TEST_CASE_METHOD(fixture, "in-memory store: a lost worker's attempt is failed when its lease expires", "[unit][inmemory][store]")
{
    const auto id = create();
    sink.take();
    REQUIRE(claim(id, 0, 1, 10s).status == claim_status::claimed);
    clock.advance(11s);
    auto again = claim(id, 0, 1); // the redelivered message after the crash
    CHECK(again.status == claim_status::lost);
    auto sent = sink.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].msg.kind == message_kind::step_result);
    auto v = store.get_task_sync(id).value();
    CHECK(v.steps[0].state == step_state::enqueued_as_error_for_orchestration);
    REQUIRE(v.steps[0].last_error);
    CHECK(v.steps[0].last_error->kind == error_kind::timeout);

    // The lost worker wakes up and reports: too late.
    CHECK(record(id, 0, 1, true) == record_status::ignored);

    orchestrate(sent); // retry scheduled: attempt 2 after 1 s
    auto retry = sink.take();
    REQUIRE(retry.size() == 1);
    CHECK(retry[0].msg.kind == message_kind::retry_due);
    CHECK(retry[0].delay == 1s);
    orchestrate(retry);
    auto ready = sink.take();
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].msg == message{message_kind::step_ready, 0, 2, id});
    CHECK(claim(id, 0, 2).status == claim_status::claimed);
}

TEST_CASE_METHOD(fixture, "in-memory store: heartbeats keep a step; they fail once it is not ours", "[unit][inmemory][store]")
{
    const auto id = create();
    REQUIRE(claim(id, 0, 1, 10s).status == claim_status::claimed);
    clock.advance(8s);
    lease_extension ext{{id, 0}, 1, 10s};
    CHECK(store.extend_leases_sync(std::span(&ext, 1))[0]);
    clock.advance(8s);
    CHECK(claim(id, 0, 1).status == claim_status::busy); // 16 s after the claim, still held
    REQUIRE(store.apply_action_sync(id, action::cancel{}, by_operator));
    CHECK_FALSE(store.extend_leases_sync(std::span(&ext, 1))[0]);
}

TEST_CASE_METHOD(fixture, "in-memory store: operator actions and their errors", "[unit][inmemory][store]")
{
    const auto id = create();
    auto missing = store.apply_action_sync(uuid{}, action::cancel{}, by_operator);
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::task_not_found);
    auto no_step = store.apply_action_sync(id, action::reset_step{"zzz"}, by_operator);
    REQUIRE_FALSE(no_step);
    CHECK(no_step.error() == errc::step_not_found);
    CHECK(no_step.error().message.find("no step 'zzz'") != std::string::npos);

    auto state = store.apply_action_sync(id, action::resolve_step{"a", make_json(json::object{{"manual", true}})}, by_operator);
    REQUIRE(state);
    auto v = store.get_task_sync(id).value();
    CHECK(v.steps[0].state == step_state::resolved_manually);
    CHECK(v.steps[0].result->at("manual") == true);
    CHECK(v.steps[1].state == step_state::enqueued);
}

TEST_CASE_METHOD(fixture, "in-memory store: giving up records a dead letter naming the step and its error", "[unit][inmemory][store]")
{
    const auto id = create();
    sink.take();
    for (std::uint32_t attempt = 1; attempt <= 2; ++attempt) {
        REQUIRE(claim(id, 0, attempt).status == claim_status::claimed);
        REQUIRE(record(id, 0, attempt, false) == record_status::recorded);
        orchestrate(sink.take());
        auto retry = sink.take();
        if (attempt == 1) {
            REQUIRE(retry.size() == 1);
            orchestrate(retry);
            sink.take();
        } else {
            CHECK(retry.empty());
        }
    }
    auto v = store.get_task_sync(id).value();
    CHECK(v.state == task_state::error);
    auto dls = detail::run_blocking(store.dead_letters({}));
    REQUIRE(dls);
    REQUIRE(dls->entries.size() == 1);
    CHECK(dls->entries[0].task == id);
    CHECK(dls->entries[0].failed_steps == std::vector<std::string>{"a"});
    CHECK(dls->entries[0].reason == "step 'a' failed after 2 attempts (retryable): boom");
    CHECK(dls->entries[0].cause == dead_letter_cause::retries_exhausted);
}

TEST_CASE_METHOD(fixture, "in-memory store: listing filters by state and namespace, newest first", "[unit][inmemory][store]")
{
    const auto first = create();
    const auto second = create();
    REQUIRE(store.apply_action_sync(first, action::cancel{}, by_operator));
    auto all = store.list_tasks_sync({});
    REQUIRE(all);
    REQUIRE(all->tasks.size() == 2);
    CHECK(all->tasks[0].id == second);
    CHECK(all->next_cursor.empty());
    auto cancelled = store.list_tasks_sync({.state = task_state::cancelled});
    REQUIRE(cancelled->tasks.size() == 1);
    CHECK(cancelled->tasks[0].id == first);
    CHECK(store.list_tasks_sync({.namespace_name = "other"})->tasks.empty());
}
