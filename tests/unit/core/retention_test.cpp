// Retention's rules, pure: which finished tasks a pass may take, and the bounds stores search by.
#include <tasker/core/retention.hpp>

#include "support/catch.hpp"

using namespace tasker;
using namespace std::chrono_literals;

namespace {
const time_point t0 = std::chrono::sys_days{std::chrono::year{2030} / 1 / 1};
}

TEST_CASE("may_retire: finished, old enough and not under investigation", "[unit][retention]")
{
    const auto cutoff = t0;
    CHECK(may_retire(task_state::complete, t0 - 1ms, cutoff, false));
    CHECK(may_retire(task_state::cancelled, t0 - 1h, cutoff, false));
    CHECK(may_retire(task_state::resolved_manually, t0 - 1h, cutoff, false));
    CHECK(may_retire(task_state::error, t0 - 1h, cutoff, false));
    CHECK_FALSE(may_retire(task_state::error, t0 - 1h, cutoff, true));       // its dead letter is open
    CHECK_FALSE(may_retire(task_state::complete, t0, cutoff, false));         // not before the cutoff
    CHECK_FALSE(may_retire(task_state::steps_in_process, t0 - 24h, cutoff, false));
    CHECK_FALSE(may_retire(task_state::waiting_for_retry, t0 - 24h, cutoff, false));
}

TEST_CASE("retention_cutoff: the pass's age back from now, or from as_of", "[unit][retention]")
{
    retention_pass p{.finished_for = 2h};
    CHECK(retention_cutoff(p, t0) == t0 - 2h);
    p.as_of = t0 + 10h;
    CHECK(retention_cutoff(p, t0) == t0 + 8h);
}

TEST_CASE("retention_id_bound: every id made before the cutoff is below it, later ones above", "[unit][retention]")
{
    const auto bound = retention_id_bound(t0);
    CHECK(uuid::v7(t0, ~0ull, ~0ull) < bound);
    CHECK(uuid::v7(t0 + retention_clock_margin - 1ms, ~0ull, ~0ull) < bound); // a host clock ahead by the margin
    CHECK_FALSE(uuid::v7(t0 + retention_clock_margin, 0, 0) < bound);
    CHECK_FALSE(uuid::v7(t0 + 1h, 0, 0) < bound);
}

TEST_CASE("check_retention: a pass that keeps nothing, or takes too much at once, is refused", "[unit][retention]")
{
    CHECK(check_retention({}));
    CHECK(check_retention({.finished_for = 1s, .batch = 10000}));
    const auto zero = check_retention({.finished_for = 0s});
    REQUIRE_FALSE(zero);
    CHECK(zero.error() == errc::invalid_request);
    CHECK(zero.error().message == "retention keeps finished tasks at least one second, not 0 ms");
    const auto negative = check_retention({.finished_for = -5s});
    REQUIRE_FALSE(negative);
    CHECK(negative.error().message == "retention keeps finished tasks at least one second, not -5000 ms");
    for (std::size_t batch : {std::size_t{0}, std::size_t{10001}}) {
        const auto r = check_retention({.batch = batch});
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_request);
        CHECK(r.error().message == "a retention batch takes 1 to 10000 tasks, not " + std::to_string(batch));
    }
}

TEST_CASE("retention modes read and print as delete and archive", "[unit][retention]")
{
    CHECK(to_string(retention_mode::remove) == "delete");
    CHECK(to_string(retention_mode::archive) == "archive");
    CHECK(retention_mode_from_string("delete") == retention_mode::remove);
    CHECK(retention_mode_from_string("archive") == retention_mode::archive);
    CHECK_FALSE(retention_mode_from_string("remove"));
    CHECK_FALSE(retention_mode_from_string("Delete"));
}
