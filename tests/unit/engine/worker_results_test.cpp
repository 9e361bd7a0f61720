// How a worker running handlers on its pool records their results: a finished handler frees
// its slot at once, and results that finish while a record is on its way go together in the
// next one (one store transaction and one ack for many steps, never two records at a time).
#include <tasker/engine/worker.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/store.hpp>
#include <tasker/testing/killable_store.hpp>

#include "support/catch.hpp"
#include "support/templates.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

/// Something to wait for across threads.
struct counter {
    std::mutex m;
    std::condition_variable cv;
    std::size_t value = 0;

    void add(std::size_t n = 1)
    {
        std::lock_guard l(m);
        value += n;
        cv.notify_all();
    }
    bool wait_for(std::size_t at_least, duration within)
    {
        std::unique_lock l(m);
        return cv.wait_for(l, within, [&] { return value >= at_least; });
    }
    std::size_t get()
    {
        std::lock_guard l(m);
        return value;
    }
};

/// The in-memory store, except that the first `record_results` waits until `open()`.
class held_store : public testing::killable_store<inmemory::store> {
public:
    using killable_store::killable_store;

    std::atomic<int> records_started{0};
    counter recorded; // outcomes recorded

    void open()
    {
        opened_ = true;
        gate_.notify_all();
    }

    awaitable<result<std::vector<record_status>>> record_results(std::vector<step_outcome> o)
    {
        if (++records_started == 1)
            while (!opened_) {
                const auto seen = gate_.version();
                if (!opened_)
                    co_await gate_.wait(time_point::max(), seen);
            }
        const auto n = o.size();
        auto r = co_await killable_store::record_results(std::move(o));
        recorded.add(n);
        co_return r;
    }

private:
    std::atomic<bool> opened_{false};
    detail::waiter_list gate_;
};

} // namespace

TEST_CASE("worker: a finished handler frees its slot while its result is recorded, and records never overlap",
          "[unit][engine]")
{
    inmemory::broker broker;
    inmemory::store inner(broker);
    held_store store(inner);
    const auto tmpl = inner.register_template_sync(*test::make_template({{"only"}}));
    REQUIRE(tmpl);
    counter ran;
    handler_registry handlers;
    handlers.add("h.only", [&](step_context&) {
        ran.add();
        return success();
    });
    std::vector<task_id> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(inner.create_task_sync({*tmpl, make_json(json::object{}), {}, {}})->id);

    worker_config config;
    config.namespaces = {"tests"};
    config.concurrency = 1; // one handler at a time: a slot held until the record would stall
    config.batch_size = 1;
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    worker<held_store, inmemory::broker> w(io.get_executor(), store, broker, handlers, config);
    std::atomic<bool> ended{false};
    asio::co_spawn(io, w.run(), [&](std::exception_ptr, result<void>) { ended = true; });
    std::thread loop([&] { io.run(); });

    // The first result's record is held: the other two steps still run, one after the other.
    CHECK(ran.wait_for(3, 10s));
    CHECK(store.records_started == 1); // their results wait for it, not a record each beside it
    store.open();
    CHECK(store.recorded.wait_for(3, 10s));
    CHECK(store.records_started <= 3);
    for (const auto& id : ids)
        CHECK(inner.get_task_sync(id)->steps[0].state == step_state::enqueued_for_orchestration);

    w.stop(1s);
    work.reset();
    loop.join();
    CHECK(ended);
    CHECK(w.stats().succeeded == 3);
}
