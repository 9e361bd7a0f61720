// An orchestrator or worker started before its broker is reachable waits for it, retrying
// with backoff, instead of exiting; a permanent error still ends it at once.
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/store.hpp>
#include <tasker/testing/manual_clock.hpp>

#include "support/catch.hpp"
#include "support/templates.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

/// The in-memory broker, except that `ensure_queue` fails its first `failures` calls with
/// `failure` — a broker whose server is not up yet — and `read` fails while `failing_reads`
/// holds, with `errc::backend_unavailable`.
class late_broker {
public:
    late_broker(any_clock clock, int failures, errc failure) : inner_(std::move(clock)), left_(failures), code_(failure)
    {
    }

    int ensure_calls = 0;
    bool failing_reads = false;
    int failed_reads = 0;

    awaitable<result<void>> ensure_queue(queue_name q)
    {
        ++ensure_calls;
        if (left_ > 0) {
            --left_;
            co_return error{code_, "connection refused (late_broker)"};
        }
        co_return co_await inner_.ensure_queue(q);
    }
    awaitable<result<void>> send(queue_name q, message m, duration d) { return inner_.send(q, std::move(m), d); }
    awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration d)
    {
        return inner_.send_batch(q, std::move(ms), d);
    }
    awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease)
    {
        if (failing_reads) {
            ++failed_reads;
            co_return error{errc::backend_unavailable, "connection lost (late_broker)"};
        }
        co_return co_await inner_.read(q, max, lease);
    }
    awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids) { return inner_.ack(q, std::move(ids)); }
    awaitable<result<void>> nack(queue_name q, delivery_id id, duration d) { return inner_.nack(q, id, d); }
    awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration d)
    {
        return inner_.extend_lease(q, id, d);
    }
    awaitable<result<void>> wait(queue_name q, time_point deadline) { return inner_.wait(q, deadline); }

    inmemory::broker& inner() { return inner_; }

private:
    inmemory::broker inner_;
    int left_;
    errc code_;
};

static_assert(message_broker<late_broker>);

struct outcome {
    std::optional<result<void>> value;
};

template <class Engine>
void spawn(asio::io_context& io, Engine& e, outcome& out)
{
    asio::co_spawn(io, e.run(), [&out](std::exception_ptr ex, result<void> r) {
        REQUIRE_FALSE(ex);
        out.value = std::move(r);
    });
}

// Runs the context, moving virtual time on whenever nothing is ready, for up to `limit`.
void run_for(asio::io_context& io, testing::manual_clock& clock, duration limit)
{
    const auto end = clock.now() + limit;
    while (clock.now() < end) {
        io.restart();
        io.poll();
        const auto next = clock.next_timer();
        clock.set(next && *next < end ? *next : end);
    }
    io.restart();
    io.poll();
}

} // namespace

TEST_CASE("startup: an orchestrator waits for a broker that is not up yet", "[unit][engine]")
{
    testing::manual_clock clock;
    late_broker broker(any_clock::ref(clock), 5, errc::backend_unavailable);
    inmemory::store store(broker.inner(), any_clock::ref(clock));
    asio::io_context io;
    orchestrator<inmemory::store, late_broker> o(io.get_executor(), store, broker, {}, any_clock::ref(clock));
    outcome out;
    spawn(io, o, out);

    run_for(io, clock, 1s); // 100 + 200 + 400 ms of backoff: three retries so far
    CHECK(broker.ensure_calls == 4);
    CHECK_FALSE(out.value); // still waiting, not exited
    run_for(io, clock, 10s);
    CHECK(broker.ensure_calls == 6); // up on the sixth call
    CHECK_FALSE(out.value);          // and serving

    o.stop();
    run_for(io, clock, 1s);
    REQUIRE(out.value);
    CHECK(*out.value);
}

TEST_CASE("startup: a permanent error still ends the orchestrator at once", "[unit][engine]")
{
    testing::manual_clock clock;
    late_broker broker(any_clock::ref(clock), 1, errc::invalid_name);
    inmemory::store store(broker.inner(), any_clock::ref(clock));
    asio::io_context io;
    orchestrator<inmemory::store, late_broker> o(io.get_executor(), store, broker, {}, any_clock::ref(clock));
    outcome out;
    spawn(io, o, out);
    run_for(io, clock, 1s);
    REQUIRE(out.value);
    CHECK(out.value->error() == errc::invalid_name);
    CHECK(broker.ensure_calls == 1);
}

TEST_CASE("startup: a worker waits for its broker, and stop() ends the wait", "[unit][engine]")
{
    testing::manual_clock clock;
    late_broker broker(any_clock::ref(clock), 1000, errc::backend_unavailable);
    inmemory::store store(broker.inner(), any_clock::ref(clock));
    REQUIRE(store.register_template_sync(*test::diamond()));
    handler_registry handlers;
    for (const char* step : {"h.start", "h.b", "h.c", "h.end"})
        handlers.add(step, [](step_context&) { return success(); });
    asio::io_context io;
    worker_config config;
    config.namespaces = {"tests"};
    worker<inmemory::store, late_broker> w(io.get_executor(), store, broker, handlers, config, any_clock::ref(clock));
    outcome out;
    spawn(io, w, out);
    run_for(io, clock, 60s); // backoff grows to its 10 s cap: 100 ms ... 6.4 s, then 10 s steps
    CHECK(broker.ensure_calls >= 10);
    CHECK_FALSE(out.value);
    w.stop(1s);
    run_for(io, clock, 20s);
    REQUIRE(out.value);
    CHECK(*out.value); // stopped while waiting is a clean stop
}

TEST_CASE("startup: an orchestrator whose reads fail waits 100 ms, doubling, between them", "[unit][engine]")
{
    testing::manual_clock clock;
    late_broker broker(any_clock::ref(clock), 0, errc::backend_unavailable);
    broker.failing_reads = true;
    inmemory::store store(broker.inner(), any_clock::ref(clock));
    asio::io_context io;
    orchestrator<inmemory::store, late_broker> o(io.get_executor(), store, broker, {}, any_clock::ref(clock));
    outcome out;
    spawn(io, o, out);

    run_for(io, clock, 1s); // reads at 0, 0.1, 0.3 and 0.7 s
    CHECK(broker.failed_reads == 4);
    run_for(io, clock, 59s); // then 1.5, 3.1, 6.3 and 12.7 s, and every 10 s up to 52.7 s
    CHECK(broker.failed_reads == 12);
    CHECK_FALSE(out.value);

    o.stop();
    run_for(io, clock, 11s);
    REQUIRE(out.value);
    CHECK(*out.value);
}

TEST_CASE("startup: a worker whose reads fail waits 100 ms, doubling to 10 s, between them", "[unit][engine]")
{
    testing::manual_clock clock;
    late_broker broker(any_clock::ref(clock), 0, errc::backend_unavailable);
    broker.failing_reads = true;
    inmemory::store store(broker.inner(), any_clock::ref(clock));
    REQUIRE(store.register_template_sync(*test::diamond()));
    handler_registry handlers;
    for (const char* step : {"h.start", "h.b", "h.c", "h.end"})
        handlers.add(step, [](step_context&) { return success(); });
    asio::io_context io;
    worker_config config;
    config.namespaces = {"tests"};
    worker<inmemory::store, late_broker> w(io.get_executor(), store, broker, handlers, config, any_clock::ref(clock));
    outcome out;
    spawn(io, w, out);

    run_for(io, clock, 1s); // reads at 0, 0.1, 0.3 and 0.7 s
    CHECK(broker.failed_reads == 4);
    run_for(io, clock, 59s); // then 1.5, 3.1, 6.3 and 12.7 s, and every 10 s up to 52.7 s
    CHECK(broker.failed_reads == 12);
    CHECK_FALSE(out.value);

    w.stop(1s);
    run_for(io, clock, 20s);
    REQUIRE(out.value);
    CHECK(*out.value);
}
