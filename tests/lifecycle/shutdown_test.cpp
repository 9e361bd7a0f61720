// Graceful shutdown on SIGTERM: running steps finish within the grace period; after it
// they are abandoned without a result, so another worker can take them over.
#include "support/example_runtime.hpp"

#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

#include <csignal>
#include <future>
#include <mutex>
#include <thread>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

// Calls `on_line` for each log line: lets a test act when the engine reached a point.
logger watching_logger(std::function<void(std::string_view)> on_line)
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

} // namespace

TEST_CASE("lifecycle: SIGTERM lets a running step finish within the grace period", "[lifecycle][shutdown]")
{
    gate release;
    std::promise<void> started;
    gate listening; // the runtime handles SIGTERM from now on
    auto options = test::fast_options();
    options.log = watching_logger([&](std::string_view line) {
        if (line.find("event=waiting_for_signal") != std::string_view::npos)
            listening.release();
        if (line.find("event=stopping") != std::string_view::npos)
            release.release(); // shutdown began while the step runs: let it finish now
    });
    inmemory::runtime rt(options);
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
    const auto q = rt.message_broker().stats(worker_queue("shutdown").value());
    CHECK(q.in_flight == 0); // its message was acked
}

TEST_CASE("lifecycle: a step still running when the grace period ends is abandoned, not recorded",
          "[lifecycle][shutdown]")
{
    gate release;
    std::promise<void> started;
    inmemory::runtime rt(test::fast_options());
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
    const auto q = rt.message_broker().stats(worker_queue("shutdown").value());
    CHECK(q.in_flight == 1); // not acked: it comes back for another worker
}
