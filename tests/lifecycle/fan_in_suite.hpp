#pragma once
// Fan-in exactly once, as a suite over the deployment type: `TASKER_FAN_IN_SUITE(Deployment,
// tags)`. Two parents finishing at the same moment must start their join exactly once.

#include "support/deployment.hpp"

#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace tasker::test::fan_in {

using namespace std::chrono_literals;

// Pairs up callers: each returns once a second caller has arrived (or after 10 s, so a
// broken engine fails the test instead of hanging it). libstdc++ 12's std::barrier can
// spin forever under contention, hence this.
class rendezvous {
public:
    void arrive_and_wait()
    {
        std::unique_lock lock(mutex_);
        const auto generation = generation_;
        if (++waiting_ == 2) {
            waiting_ = 0;
            ++generation_;
            cv_.notify_all();
            return;
        }
        if (!cv_.wait_for(lock, 10s, [&] { return generation_ != generation; }))
            --waiting_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    int waiting_ = 0;
    std::uint64_t generation_ = 0;
};

template <class D>
void join_runs_exactly_once()
{
    D d;
    auto& rt = d.rt;
    // Both branches wait for each other, then return at the same instant: their results
    // reach the orchestrator together, often in one batch.
    rendezvous together;
    std::atomic<int> joins{0};
    rt.handlers().add("fan.root", [](step_context&) { return success(); });
    rt.handlers().add("fan.branch", [&](step_context&) {
        together.arrive_and_wait();
        return success();
    });
    rt.handlers().add("fan.join", [&](step_context& ctx) {
        ++joins;
        return success({{"saw_left", ctx.result_of("left") != nullptr}, {"saw_right", ctx.result_of("right") != nullptr}});
    });
    REQUIRE(rt.load_template(R"(
name: fan_in
namespace_name: lifecycle
version: 1.0.0
steps:
  - {name: root, handler: {callable: fan.root}}
  - {name: left, dependencies: [root], handler: {callable: fan.branch}}
  - {name: right, dependencies: [root], handler: {callable: fan.branch}}
  - {name: join, dependencies: [left, right], handler: {callable: fan.join}}
)"));
    REQUIRE(rt.start());

    constexpr int tasks = 50;
    std::vector<task_id> ids;
    for (int i = 0; i < tasks; ++i)
        ids.push_back(rt.submit({{"lifecycle", "fan_in", std::nullopt}, json::object{}, {}, {}}).value().id);
    for (const auto& id : ids) {
        auto t = rt.wait(id, 30s);
        REQUIRE(t);
        INFO(format_timeline(*t));
        REQUIRE(t->state == task_state::complete);
        const auto* join = t->step("join");
        CHECK(join->attempts == 1);
        CHECK(join->result->at("saw_left") == true);
        CHECK(join->result->at("saw_right") == true);
        int enqueues = 0;
        for (const auto& tr : t->step_transitions)
            enqueues += tr.step == join->index && tr.to == step_state::enqueued;
        CHECK(enqueues == 1);
    }
    CHECK(joins.load() == tasks);
}

} // namespace tasker::test::fan_in

/// The fan-in lifecycle case for `Deployment`, tagged `tags`.
#define TASKER_FAN_IN_SUITE(Deployment, tags)                                                                        \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "lifecycle", ::tasker::test::fan_in::join_runs_exactly_once,            \
                           "a join whose parents finish together runs exactly once")
