#pragma once
// Operating workflows end to end, as a suite over the deployment type:
// `TASKER_OPERATIONS_SUITE(Deployment, tags)`. A task stuck past its template's lifecycle limit
// (on virtual time) ends in the dead-letter queue with its reason, and resetting its step
// brings it to complete; a failed step completed by hand feeds its result to its dependents.

#include "support/deployment.hpp"

#include <tasker/store/timeline.hpp>
#include <tasker/testing/manual_clock.hpp>

#include "support/catch.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace tasker::test::operations {

using namespace std::chrono_literals;

// `fetch` fails once and waits ten minutes for its retry; the template allows one minute.
inline constexpr const char* stuck_yaml = R"(
name: stuck_fetch
namespace_name: ops
version: 1.0.0
lifecycle: {max_waiting_for_retry_minutes: 1, staleness_action: dlq}
steps:
  - name: fetch
    handler: {callable: ops.fetch}
    retry: {max_attempts: 3, backoff: constant, backoff_base_ms: 600000, jitter: 0}
  - {name: report, dependencies: [fetch], handler: {callable: ops.report}}
)";

inline constexpr const char* failing_yaml = R"(
name: failing_fetch
namespace_name: ops
version: 1.0.0
steps:
  - {name: fetch, handler: {callable: ops.fetch_or_fail}}
  - {name: report, dependencies: [fetch], handler: {callable: ops.report}}
)";

inline constexpr const char* quick_yaml = R"(
name: quick
namespace_name: ops
version: 1.0.0
steps:
  - {name: only, handler: {callable: ops.quick}}
)";

inline const change_origin on_call{"operator:alice", "upstream fixed, see INC-42", nullptr};

/// Waits (up to `timeout` of real time) until task `id` is in `state`; its view then.
template <class Runtime>
task_view wait_for_state(Runtime& rt, const task_id& id, task_state state, duration timeout = 30s)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto t = rt.get(id);
        REQUIRE(t);
        if (t->state == state)
            return *t;
        if (std::chrono::steady_clock::now() > deadline)
            FAIL("task stayed " << t->state << ", never " << state << "\n" << format_timeline(*t));
        std::this_thread::sleep_for(5ms);
    }
}

template <class Runtime>
void add_handlers(Runtime& rt, std::atomic<int>& fetches)
{
    rt.handlers().add("ops.fetch", [&](step_context&) {
        return ++fetches == 1 ? retryable_error("upstream unavailable") : success({{"rows", 3}});
    });
    rt.handlers().add("ops.fetch_or_fail", [&](step_context&) {
        ++fetches;
        return permanent_error("schema changed upstream");
    });
    rt.handlers().add("ops.report", [](step_context& ctx) {
        const auto* fetched = ctx.result_of("fetch");
        if (!fetched)
            return permanent_error("no result of fetch");
        return success({{"reported", fetched->at("rows")}});
    });
}

/// The first log line of an event, caught from a runtime's logger: `logger()` goes into the
/// deployment's settings, `wait()` blocks (up to 30 s of real time) until the line came.
class log_watch {
public:
    explicit log_watch(std::string event) : needle_("event=" + std::move(event)) {}

    logger sink()
    {
        return logger(log_level::info, [this](log_level, std::string_view line) {
            if (line.find(needle_) == std::string_view::npos)
                return;
            std::lock_guard lock(m_);
            if (line_.empty())
                line_ = line;
            cv_.notify_all();
        });
    }

    std::string wait()
    {
        std::unique_lock lock(m_);
        REQUIRE(cv_.wait_for(lock, 30s, [&] { return !line_.empty(); }));
        return line_;
    }

private:
    std::string needle_;
    std::mutex m_;
    std::condition_variable cv_;
    std::string line_;
};

template <class D>
void stale_task_goes_to_the_dead_letter_queue_and_a_reset_completes_it()
{
    testing::manual_clock clock(std::chrono::system_clock::now());
    deployment_settings s;
    s.clock = any_clock::ref(clock);
    s.staleness = staleness_config{.interval = 30s};
    D d(s);
    auto& rt = d.rt;
    std::atomic<int> fetches{0};
    add_handlers(rt, fetches);
    REQUIRE(rt.load_template(stuck_yaml));
    REQUIRE(rt.start());
    auto id = rt.submit({{"ops", "stuck_fetch", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(id);

    // The first attempt fails: ten minutes to the retry, one allowed.
    wait_for_state(rt, id->id, task_state::waiting_for_retry);
    clock.advance(2min); // the orchestrator's next pass is due: the task is a minute over
    auto t = wait_for_state(rt, id->id, task_state::error);
    INFO(format_timeline(t));
    CHECK(t.step("fetch")->state == step_state::error);
    CHECK(t.step("report")->state == step_state::pending);
    REQUIRE_FALSE(t.task_transitions.empty());
    const auto& expired = t.task_transitions.back();
    CHECK(expired.event == task_event::expire);
    CHECK(expired.actor().starts_with("orchestrator:"));
    CHECK(expired.reason().find("max_waiting_for_retry") != std::string::npos);

    auto entry = detail::run_blocking(rt.task_store().dead_letter_of(id->id));
    REQUIRE(entry);
    CHECK(entry->cause == dead_letter_cause::staleness);
    CHECK(entry->status == dead_letter_status::pending);
    CHECK(entry->reason.starts_with("waiting_for_retry for "));
    CHECK(entry->reason.find("past the template's limit of 1m (max_waiting_for_retry_minutes)") != std::string::npos);
    CHECK(entry->failed_steps == std::vector<std::string>{"fetch"});
    REQUIRE(entry->snapshot);
    CHECK(entry->snapshot->at("state") == "error");
    CHECK(entry->snapshot->at("steps").as_array().size() == 2);

    // The operator resets the step: the task reopens and runs to its end.
    REQUIRE(rt.act(id->id, action::reset_step{"fetch"}, on_call));
    t = wait_for_state(rt, id->id, task_state::complete);
    INFO(format_timeline(t));
    CHECK(t.step("report")->result->at("reported") == 3);
    CHECK(fetches.load() == 2);
    bool reset_recorded = false;
    for (const auto& h : t.step_transitions)
        if (h.event == step_event::reset)
            reset_recorded = h.actor() == on_call.actor && h.reason() == on_call.reason;
    CHECK(reset_recorded);

    entry = detail::run_blocking(rt.task_store().dead_letter_of(id->id));
    REQUIRE(entry);
    CHECK(entry->status == dead_letter_status::manually_resolved);
    CHECK(entry->resolved_by == on_call.actor);
    CHECK(entry->resolved_at.has_value());
}

template <class D>
void a_dry_run_reports_the_stale_task_and_changes_nothing()
{
    testing::manual_clock clock(std::chrono::system_clock::now());
    log_watch would_expire("would_expire");
    deployment_settings s;
    s.clock = any_clock::ref(clock);
    s.staleness = staleness_config{.interval = 30s, .dry_run = true};
    s.log = would_expire.sink();
    D d(s);
    auto& rt = d.rt;
    std::atomic<int> fetches{0};
    add_handlers(rt, fetches);
    REQUIRE(rt.load_template(stuck_yaml));
    REQUIRE(rt.start());
    auto id = rt.submit({{"ops", "stuck_fetch", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(id);
    wait_for_state(rt, id->id, task_state::waiting_for_retry);
    clock.advance(2min);
    const auto reported = would_expire.wait();
    CHECK(reported.find("task=" + id->id.to_string()) != std::string::npos);
    CHECK(reported.find("limit=max_waiting_for_retry") != std::string::npos);
    const auto t = rt.get(id->id);
    REQUIRE(t);
    CHECK(t->state == task_state::waiting_for_retry);
    CHECK_FALSE(detail::run_blocking(rt.task_store().dead_letter_of(id->id)));
}

template <class D>
void a_step_completed_by_hand_feeds_its_dependents()
{
    D d;
    auto& rt = d.rt;
    std::atomic<int> fetches{0};
    add_handlers(rt, fetches);
    REQUIRE(rt.load_template(failing_yaml));
    REQUIRE(rt.start());
    auto id = rt.submit({{"ops", "failing_fetch", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(id);
    auto t = rt.wait(id->id, 30s);
    REQUIRE(t);
    REQUIRE(t->state == task_state::error);
    auto entry = detail::run_blocking(rt.task_store().dead_letter_of(id->id));
    REQUIRE(entry);
    CHECK(entry->cause == dead_letter_cause::permanent_failure);

    REQUIRE(rt.act(id->id, action::complete_step{"fetch", make_json(json::object{{"rows", 7}})}, on_call));
    t = rt.wait(id->id, 30s);
    REQUIRE(t);
    INFO(format_timeline(*t));
    REQUIRE(t->state == task_state::complete);
    CHECK(t->step("fetch")->state == step_state::complete);
    CHECK(t->step("report")->result->at("reported") == 7);
    CHECK(fetches.load() == 1);
    const auto attempts = t->attempts(t->tmpl->step_index("fetch"));
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].worker.starts_with("worker"));
    REQUIRE(attempts[0].failure);
    CHECK(attempts[0].failure->message == "schema changed upstream");
    CHECK(detail::run_blocking(rt.task_store().dead_letter_of(id->id))->status ==
          dead_letter_status::manually_resolved);
}

template <class D>
void finished_tasks_are_retired_after_their_age()
{
    testing::manual_clock clock(std::chrono::system_clock::now());
    log_watch tasks_retired("tasks_retired");
    deployment_settings s;
    s.clock = any_clock::ref(clock);
    s.retention = retention_config{.interval = 1min, .pass = {.finished_for = 1h}};
    s.log = tasks_retired.sink();
    D d(s);
    auto& rt = d.rt;
    std::atomic<int> fetches{0};
    add_handlers(rt, fetches);
    rt.handlers().add("ops.quick", [](step_context&) { return success({{"ok", true}}); });
    REQUIRE(rt.load_template(quick_yaml));
    REQUIRE(rt.load_template(failing_yaml));
    REQUIRE(rt.start());
    auto done = rt.submit({{"ops", "quick", std::nullopt}, json::object{}, {}, {}});
    auto failed = rt.submit({{"ops", "failing_fetch", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(done);
    REQUIRE(failed);
    REQUIRE(rt.wait(done->id, 30s)->state == task_state::complete);
    REQUIRE(rt.wait(failed->id, 30s)->state == task_state::error);

    clock.advance(2h); // an hour past the age: the next pass takes the finished task
    const auto retired = tasks_retired.wait();
    CHECK(retired.find("tasks=1") != std::string::npos);
    CHECK(retired.find("mode=delete") != std::string::npos);
    const auto gone = rt.get(done->id);
    REQUIRE_FALSE(gone);
    CHECK(gone.error() == errc::task_not_found);
    // The task in error waits for its investigation, which is still open.
    CHECK(rt.get(failed->id)->state == task_state::error);
    CHECK(detail::run_blocking(rt.task_store().dead_letter_of(failed->id))->status == dead_letter_status::pending);
}

} // namespace tasker::test::operations

/// The operations cases for `Deployment`, tagged `tags`.
#define TASKER_OPERATIONS_SUITE(Deployment, tags)                                                                    \
    TASKER_DEPLOYMENT_CASE(                                                                                          \
        Deployment, tags, "operations",                                                                              \
        ::tasker::test::operations::stale_task_goes_to_the_dead_letter_queue_and_a_reset_completes_it,               \
        "a task past a one-minute limit on virtual time is dead-lettered, and a reset completes it")                 \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "operations",                                                           \
                           ::tasker::test::operations::a_dry_run_reports_the_stale_task_and_changes_nothing,         \
                           "a dry-run pass reports a stale task and changes nothing")                                \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "operations",                                                           \
                           ::tasker::test::operations::a_step_completed_by_hand_feeds_its_dependents,                \
                           "a failed step completed by hand with a result feeds its dependents")                     \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "operations",                                                           \
                           ::tasker::test::operations::finished_tasks_are_retired_after_their_age,                   \
                           "finished tasks are retired after their age on virtual time, those under investigation kept")
