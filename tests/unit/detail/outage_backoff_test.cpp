#include <tasker/detail/outage_backoff.hpp>

#include "support/catch.hpp"

using namespace tasker;
using namespace std::chrono_literals;

TEST_CASE("outage backoff: 100 ms, doubling, capped at 10 s", "[unit][engine]")
{
    detail::outage_backoff b;
    const duration expected[] = {100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 6400ms, 10s, 10s, 10s};
    for (auto e : expected)
        CHECK(b.next() == e);
    CHECK(detail::outage_backoff::first == 100ms);
    CHECK(detail::outage_backoff::longest == 10s);
}

TEST_CASE("outage backoff: a success starts it again at 100 ms", "[unit][engine]")
{
    detail::outage_backoff b;
    for (int k = 0; k < 20; ++k)
        (void)b.next();
    b.reset();
    CHECK(b.next() == 100ms);
    CHECK(b.next() == 200ms);
}
