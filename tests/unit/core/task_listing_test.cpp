// The rules every store lists tasks by (check_filter, make_page): what a filter may hold, and
// cursors, which belong to one listing.
#include <tasker/core/task_listing.hpp>

#include "support/catch.hpp"
#include "support/problems.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace tasker;
using test::find_problem;

namespace {

std::string problem_at(const task_filter& f, std::string_view path)
{
    const auto r = check_filter(f);
    REQUIRE_FALSE(r);
    const auto e = r.error();
    INFO(e);
    CHECK(e == errc::invalid_request);
    const auto* p = find_problem(e, path);
    REQUIRE(p);
    return p->message;
}

std::vector<task_summary> summaries(std::size_t n)
{
    uuid_generator ids(3);
    std::vector<task_summary> out(n);
    const auto now = std::chrono::system_clock::now();
    for (auto& s : out)
        s.id = ids.next(now);
    std::reverse(out.begin(), out.end()); // newest first, as a store fetches them
    return out;
}

} // namespace

TEST_CASE("check_filter: a page is limit + 1 rows fetched; the first page has no cursor", "[unit][listing]")
{
    const auto q = check_filter({.limit = 25});
    REQUIRE(q);
    CHECK(q->fetch == 26);
    CHECK_FALSE(q->below);
    CHECK(q->fingerprint.size() == 16);
    CHECK(check_filter({.limit = 1}));
    CHECK(check_filter({.limit = task_filter::max_limit}));
}

TEST_CASE("check_filter: bad limits and filter values are refused where they are", "[unit][listing]")
{
    CHECK(problem_at({.limit = 0}, "limit") == "must be between 1 and 1000, got 0");
    CHECK(problem_at({.limit = 1001}, "limit") == "must be between 1 and 1000, got 1001");
    CHECK(problem_at({.initiator = ""}, "initiator") == "is empty: leave it unset to list tasks whatever their initiator");
    CHECK(problem_at({.tag = "a b"}, "tag").find("'a b' holds a character a tag may not") == 0);
    CHECK(problem_at({.tag = ""}, "tag") == "is empty");
    CHECK(problem_at({.source_system = std::string(200, 'x')}, "source_system") == "is 200 bytes long; the limit is 128");
    CHECK(problem_at({.correlation_id = "a\nb"}, "correlation_id") == "holds a control character (byte 1)");
}

TEST_CASE("make_page: the next cursor is there only when there are more tasks", "[unit][listing]")
{
    const task_filter f{.limit = 3};
    const auto q = check_filter(f).value();
    const auto rows = summaries(4);
    const auto page = make_page(rows, f, q);
    REQUIRE(page.tasks.size() == 3);
    CHECK(page.tasks.back().id == rows[2].id);
    REQUIRE_FALSE(page.next_cursor.empty());

    auto next = f;
    next.cursor = page.next_cursor;
    const auto nq = check_filter(next);
    REQUIRE(nq);
    REQUIRE(nq->below);
    CHECK(*nq->below == rows[2].id);
    // The limit may change from page to page.
    next.limit = 50;
    CHECK(check_filter(next));

    CHECK(make_page(summaries(3), f, q).next_cursor.empty());
    CHECK(make_page({}, f, q).next_cursor.empty());
}

TEST_CASE("check_filter: a cursor of another filter, or no cursor at all, is refused", "[unit][listing]")
{
    const task_filter f{.state = task_state::error, .tag = "billing", .limit = 2};
    const auto q = check_filter(f).value();
    const auto cursor = make_page(summaries(3), f, q).next_cursor;

    auto other = f;
    other.tag = "shipping";
    other.cursor = cursor;
    CHECK(problem_at(other, "cursor").find("belongs to a listing with another filter") == 0);
    other = f;
    other.state = std::nullopt;
    other.cursor = cursor;
    CHECK(problem_at(other, "cursor").find("belongs to a listing with another filter") == 0);
    other = f;
    other.created_after = time_point{} + std::chrono::seconds(1);
    other.cursor = cursor;
    CHECK(problem_at(other, "cursor").find("belongs to a listing with another filter") == 0);

    for (std::string bad : {std::string("garbage"), cursor.substr(1), "x" + cursor.substr(1),
                            cursor.substr(0, 10) + "zz" + cursor.substr(12), cursor + "0"}) {
        INFO(bad);
        auto wrong = f;
        wrong.cursor = bad;
        CHECK(problem_at(wrong, "cursor").find("is not a cursor a task listing returned") == 0);
    }
    // Every problem at once.
    auto both = f;
    both.limit = 0;
    both.cursor = "garbage";
    const auto r = check_filter(both);
    REQUIRE_FALSE(r);
    CHECK(r.error().problems.size() == 2);
}

TEST_CASE("check_filter: the same filter has the same fingerprint, in every process", "[unit][listing]")
{
    const task_filter f{.namespace_name = "shop", .state = task_state::complete, .initiator = "alice"};
    CHECK(check_filter(f).value().fingerprint == check_filter(f).value().fingerprint);
    // A fixed filter's fingerprint is fixed: cursors stay good across processes and versions.
    CHECK(check_filter(f).value().fingerprint == "b2b951747a78f480");
    CHECK(check_filter({}).value().fingerprint != check_filter(f).value().fingerprint);
}
