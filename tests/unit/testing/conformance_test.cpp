#include <tasker/testing/broker_conformance.hpp>
#include <tasker/testing/store_conformance.hpp>

#include <tasker/clock.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/store.hpp>
#include <tasker/messaging/any_broker.hpp>
#include <tasker/testing/fake_broker.hpp>
#include <tasker/testing/manual_clock.hpp>

#include "support/catch.hpp"

#include <string_view>

// The conformance suites of the testing kit, run against the backends tasker ships: the
// in-memory broker, the fake broker without faults, and the in-memory store committing to
// either. Virtual time throughout, so the suites run in milliseconds.

namespace {

using namespace tasker;

queue_name fixture_queue(std::string_view base) { return queue_name::make(base).value(); }

struct inmemory_broker_fixture {
    testing::manual_clock clock;
    inmemory::broker impl{any_clock::ref(clock)};

    inmemory::broker& broker() { return impl; }
    queue_name queue(std::string_view base) { return fixture_queue(base); }
    time_point now() const { return clock.now(); }
    void advance(duration d) { clock.advance(d); }
};

struct fake_broker_fixture {
    testing::manual_clock clock;
    testing::fake_broker<> impl{any_clock::ref(clock)};

    testing::fake_broker<>& broker() { return impl; }
    queue_name queue(std::string_view base) { return fixture_queue(base); }
    time_point now() const { return clock.now(); }
    void advance(duration d) { clock.advance(d); }
};

// The same broker chosen at run time: any_broker must not change a thing.
struct any_broker_fixture {
    testing::manual_clock clock;
    any_broker impl{std::make_unique<inmemory::broker>(any_clock::ref(clock))};
    any_broker& broker() { return impl; }
    queue_name queue(std::string_view base) { return fixture_queue(base); }
    time_point now() const { return clock.now(); }
    void advance(duration d) { clock.advance(d); }
};

struct inmemory_store_fixture {
    testing::manual_clock clock;
    inmemory::broker messages{any_clock::ref(clock)};
    inmemory::store tasks{messages, any_clock::ref(clock), {.seed = 11}};

    inmemory::store& store() { return tasks; }
    inmemory::broker& broker() { return messages; }
    time_point now() const { return clock.now(); }
    void advance(duration d) { clock.advance(d); }
};

// The store's atomic messages through the fake broker's sink path.
struct inmemory_store_on_fake_broker_fixture {
    testing::manual_clock clock;
    testing::fake_broker<> messages{any_clock::ref(clock)};
    inmemory::store tasks{messages, any_clock::ref(clock), {.seed = 12}};

    inmemory::store& store() { return tasks; }
    testing::fake_broker<>& broker() { return messages; }
    time_point now() const { return clock.now(); }
    void advance(duration d) { clock.advance(d); }
};

} // namespace

TASKER_BROKER_CONFORMANCE(inmemory_broker_fixture, "[unit][inmemory]");
TASKER_BROKER_CONFORMANCE(fake_broker_fixture, "[unit][fake_broker]");
TASKER_BROKER_CONFORMANCE(any_broker_fixture, "[unit][any_broker]");

TEST_CASE("any_broker: get<B>() finds the broker it holds, and only that type", "[unit][any_broker]")
{
    auto inner = std::make_unique<inmemory::broker>();
    auto* raw = inner.get();
    any_broker b(std::move(inner));
    CHECK(b.get<inmemory::broker>() == raw);
    CHECK(b.get<testing::fake_broker<>>() == nullptr);
}
TASKER_STORE_CONFORMANCE(inmemory_store_fixture, "[unit][inmemory]");
TASKER_STORE_CONFORMANCE(inmemory_store_on_fake_broker_fixture, "[unit][fake_broker]");
