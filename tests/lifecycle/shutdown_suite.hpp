#pragma once
// Graceful shutdown on SIGTERM, as a suite over the deployment type:
// `TASKER_SHUTDOWN_SUITE(Deployment, tags)`. Running steps finish within the grace period;
// after it they are abandoned without a result, so another worker can take them over.

#include "support/deployment.hpp"

#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

#include <condition_variable>
#include <csignal>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace tasker::test::shutdown {

using namespace std::chrono_literals;

// Calls `on_line` for each log line: lets a test act when the engine reached a point.
inline logger watching_logger(std::function<void(std::string_view)> on_line)
{
    return logger(log_level::info, [f = std::move(on_line)](log_level, std::string_view line) { f(line); });
}

struct gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    void release()
    {
        std::lock_guard l(m);
        open = true;
        cv.notify_all();
    }
    bool wait_for(duration d)
    {
        std::unique_lock l(m);
        return cv.wait_for(l, d, [&] { return open; });
    }
};

constexpr const char* one_step = R"(
name: one_step
namespace_name: shutdown
version: 1.0.0
steps:
  - {name: work, handler: {callable: shutdown.work}}
)";

template <class D>
void sigterm_lets_step_finish()
{
    gate release;
    std::promise<void> started;
    gate listening; // the runtime handles SIGTERM from now on
    D d(deployment_settings{.log = watching_logger([&](std::string_view line) {
        if (line.find("event=waiting_for_signal") != std::string_view::npos)
            listening.release();
        if (line.find("event=stopping") != std::string_view::npos)
            release.release(); // shutdown began while the step runs: let it finish now
    })});
    auto& rt = d.rt;
    rt.handlers().add("shutdown.work", [&](step_context&) {
        started.set_value();
        release.wait_for(20s);
        return success({{"finished", true}});
    });
    REQUIRE(rt.load_template(one_step));
    REQUIRE(rt.start());
    const auto id = rt.submit({{"shutdown", "one_step", std::nullopt}, json::object{}, {}, {}}).value().id;
    std::thread signaller([&] {
        started.get_future().wait();
        listening.wait_for(20s); // raised earlier, SIGTERM would hit the default handler
        std::raise(SIGTERM);
    });
    rt.run_until_signal(10s); // returns once stopped
    signaller.join();

    auto t = rt.get(id).value();
    INFO(format_timeline(t));
    // The worker recorded the result; the orchestrator may have stopped before processing it.
    CHECK((t.steps[0].state == step_state::enqueued_for_orchestration || t.steps[0].state == step_state::complete));
    CHECK(t.steps[0].result->at("finished") == true);
    CHECK(rt.worker_stats().succeeded == 1);
    CHECK(rt.worker_stats().abandoned == 0);
    if constexpr (requires { rt.message_broker().stats(worker_queue("shutdown").value()); }) {
        const auto q = rt.message_broker().stats(worker_queue("shutdown").value());
        CHECK(q.in_flight == 0); // its message was acked
    }
}

template <class D>
void grace_expired_abandons_step()
{
    gate release;
    std::promise<void> started;
    D d;
    auto& rt = d.rt;
    rt.handlers().add("shutdown.work", [&](step_context& ctx) {
        started.set_value();
        // Ignores the stop token on purpose until the test lets it go.
        release.wait_for(20s);
        return success({{"too_late", ctx.stop_requested()}});
    });
    REQUIRE(rt.load_template(one_step));
    REQUIRE(rt.start());
    const auto id = rt.submit({{"shutdown", "one_step", std::nullopt}, json::object{}, {}, {}}).value().id;
    started.get_future().wait();
    rt.stop(50ms);
    release.release();

    auto t = rt.get(id).value();
    INFO(format_timeline(t));
    CHECK(t.steps[0].state == step_state::in_progress); // no result: the lease will expire
    CHECK_FALSE(t.steps[0].result);
    CHECK(rt.worker_stats().abandoned == 1);
    if constexpr (requires { rt.message_broker().stats(worker_queue("shutdown").value()); }) {
        const auto q = rt.message_broker().stats(worker_queue("shutdown").value());
        CHECK(q.in_flight == 1); // not acked: it comes back for another worker
    }
}

} // namespace tasker::test::shutdown

/// The graceful-shutdown cases for `Deployment`, tagged `tags`.
#define TASKER_SHUTDOWN_SUITE(Deployment, tags)                                                                      \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "lifecycle", ::tasker::test::shutdown::sigterm_lets_step_finish,        \
                           "SIGTERM lets a running step finish within the grace period")                             \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "lifecycle", ::tasker::test::shutdown::grace_expired_abandons_step,     \
                           "a step still running when the grace period ends is abandoned, not recorded")             \
    static_assert(true, "TASKER_SHUTDOWN_SUITE is followed by a semicolon")
