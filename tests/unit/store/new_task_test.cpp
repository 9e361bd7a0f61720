// The rules of a task request's fields (check_request_fields): each kind of bad value gets its
// own located problem, and every problem of a request is reported at once.
#include <tasker/store/new_task.hpp>

#include "support/catch.hpp"
#include "support/problems.hpp"

#include <string>

using namespace tasker;
using test::find_problem;

namespace {

/// The message of the one problem at `path` of `t`'s check.
std::string problem_at(const new_task& t, std::string_view path)
{
    const auto r = check_request_fields(t);
    REQUIRE_FALSE(r);
    const auto e = r.error();
    INFO(e);
    CHECK(e == errc::invalid_request);
    const auto* p = find_problem(e, path);
    REQUIRE(p);
    return p->message;
}

} // namespace

TEST_CASE("check_request_fields: fields within their limits pass", "[unit][request]")
{
    new_task t;
    CHECK(check_request_fields(t));
    t.identity_key = std::string(request_limits::identity_key_bytes, 'k');
    t.correlation_id = "corr-1";
    t.parent_correlation_id = std::string(request_limits::label_bytes, 'p');
    t.initiator = "jos\xc3\xa9@example.com"; // UTF-8
    t.source_system = "billing api";          // spaces are fine outside tags
    t.reason = std::string(request_limits::reason_bytes, 'r');
    for (std::size_t i = 0; i < request_limits::tags; ++i)
        t.tags.push_back("tag-" + std::to_string(i));
    t.tags.back() = "Env:prod/eu_1=a.b@c";
    t.priority = request_limits::max_priority;
    CHECK(check_request_fields(t));
    t.priority = request_limits::min_priority;
    CHECK(check_request_fields(t));
}

TEST_CASE("check_request_fields: each kind of bad value is refused where it is", "[unit][request]")
{
    new_task t;
    t.initiator = std::string(request_limits::label_bytes + 1, 'x');
    CHECK(problem_at(t, "initiator") == "is 129 bytes long; the limit is 128");

    t = {};
    t.reason = std::string(request_limits::reason_bytes + 1, 'x');
    CHECK(problem_at(t, "reason") == "is 1025 bytes long; the limit is 1024");

    t = {};
    t.identity_key = std::string(request_limits::identity_key_bytes + 1, 'x');
    CHECK(problem_at(t, "identity_key") == "is 257 bytes long; the limit is 256");

    t = {};
    t.source_system = "line\nbreak";
    CHECK(problem_at(t, "source_system") == "holds a control character (byte 4)");
    t = {};
    t.correlation_id = std::string("nul\0byte", 8);
    CHECK(problem_at(t, "correlation_id") == "holds a control character (byte 3)");
    t = {};
    t.parent_correlation_id = "caf\xc3"; // a UTF-8 sequence cut short
    CHECK(problem_at(t, "parent_correlation_id") == "is not UTF-8 (byte 3)");
    t = {};
    t.reason = "\xc2\x85"; // U+0085, a C1 control character
    CHECK(problem_at(t, "reason") == "holds a control character (byte 0)");

    t = {};
    t.tags.assign(request_limits::tags + 1, "x");
    for (std::size_t i = 0; i < t.tags.size(); ++i)
        t.tags[i] += std::to_string(i);
    CHECK(problem_at(t, "tags") == "has 33 tags; the limit is 32");

    t = {};
    t.tags = {"ok", "", "has space", std::string(request_limits::tag_bytes + 1, 't'), "ok"};
    CHECK(problem_at(t, "tags[1]") == "is empty");
    CHECK(problem_at(t, "tags[2]").find("'has space' holds a character a tag may not (at byte 3)") == 0);
    CHECK(problem_at(t, "tags[3]") == "is 65 bytes long; the limit is 64");
    CHECK(problem_at(t, "tags[4]") == "'ok' is given twice");
    CHECK_FALSE(find_problem(check_request_fields(t).error(), "tags[0]"));

    t = {};
    t.priority = 101;
    CHECK(problem_at(t, "priority") == "must be between -100 and 100, got 101");
    t.priority = -101;
    CHECK(problem_at(t, "priority") == "must be between -100 and 100, got -101");
}

TEST_CASE("check_request_fields: every problem of a request at once", "[unit][request]")
{
    new_task t;
    t.initiator = "a\tb";
    t.tags = {"a b"};
    t.priority = 1000;
    const auto r = check_request_fields(t);
    REQUIRE_FALSE(r);
    CHECK(r.error().problems.size() == 3);
    CHECK(r.error().message == "the task request has 3 problems");
    CHECK(r.error().what() == "invalid request: the task request has 3 problems\n"
                              "  - initiator: holds a control character (byte 1)\n"
                              "  - tags[0]: 'a b' holds a character a tag may not (at byte 1): a tag is letters, digits "
                              "and _ - . : / = @\n"
                              "  - priority: must be between -100 and 100, got 1000");
}
