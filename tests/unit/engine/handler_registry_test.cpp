#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/step_result.hpp>

#include "support/catch.hpp"
#include "support/templates.hpp"

#include <stdexcept>

using namespace tasker;
using namespace std::chrono_literals;

TEST_CASE("handler registry: lookup, duplicates and empty handlers", "[unit][engine]")
{
    handler_registry r;
    r.add("a", [](step_context&) { return success(); });
    CHECK(r.find("a") != nullptr);
    CHECK(r.find("b") == nullptr);
    CHECK_THROWS_AS(r.add("a", [](step_context&) { return success(); }), std::invalid_argument);
    CHECK_THROWS_AS(r.add("", [](step_context&) { return success(); }), std::invalid_argument);
    CHECK_THROWS_AS(r.add("c", step_handler{}), std::invalid_argument);
    CHECK(r.size() == 1);
}

TEST_CASE("handler registry: check() lists every step whose handler is missing", "[unit][engine]")
{
    const auto t = test::make_template({{"one"}, {"two", {"one"}}, {"three", {"one"}}});
    handler_registry r;
    r.add("h.two", [](step_context&) { return success(); });
    auto ok = r.check(*t);
    REQUIRE_FALSE(ok);
    CHECK(ok.error() == errc::unknown_handler);
    REQUIRE(ok.error().problems.size() == 2);
    CHECK(ok.error().problems[0].path == "steps[0].handler.callable");
    CHECK(ok.error().problems[1].path == "steps[2].handler.callable");
    CHECK(ok.error().problems[1].message == "step 'three' names handler 'h.three', which is not registered");
}

TEST_CASE("step results: the three kinds a handler returns", "[unit][engine]")
{
    auto s = success({{"x", 1}});
    CHECK(s.ok());
    CHECK(s.value().at("x") == 1);
    auto r = retryable_error("busy", 3s);
    CHECK_FALSE(r.ok());
    CHECK(r.kind() == error_kind::retryable);
    CHECK(r.retry_after() == std::optional<duration>(3s));
    auto p = permanent_error("bad input");
    CHECK(p.kind() == error_kind::permanent);
    CHECK(p.message() == "bad input");
    CHECK_FALSE(p.retry_after());
    CHECK(timeout_error("slow").kind() == error_kind::timeout);
}

TEST_CASE("step context: ancestors' results, config, attempts and logging fields", "[unit][engine]")
{
    auto t = test::make_template({{"a"}, {"b", {"a"}}, {"c", {"b"}}, {"x"}}, "tests", "ctx",
                                 retry_settings{.max_attempts = 4});
    step_claim claim;
    claim.ref = {uuid::v7(std::chrono::system_clock::now(), 1, 2), 2};
    claim.attempt = 2;
    claim.tmpl = t;
    claim.context = make_json(json::object{{"in", 5}});
    claim.ancestor_results = {{0, make_json(json::object{{"a", 1}})}, {1, make_json(json::object{{"b", 2}})}};
    claim.correlation_id = "req-77";

    std::vector<std::string> lines;
    logger log(log_level::info, [&](log_level, std::string_view line) { lines.emplace_back(line); });
    std::stop_source stop;
    step_context ctx(claim, claim.claimed_at + 10s, stop.get_token(), log);
    CHECK(ctx.step_name() == "c");
    CHECK(ctx.attempt() == 2);
    CHECK(ctx.max_attempts() == 4);
    CHECK(ctx.context().at("in") == 5);
    CHECK(ctx.config().is_null());
    CHECK(ctx.result_of("a")->at("a") == 1); // an ancestor two levels up
    CHECK(ctx.result_of("b")->at("b") == 2);
    CHECK(ctx.result_of("x") == nullptr); // not an ancestor
    std::vector<std::string> names;
    ctx.for_each_result([&](std::string_view n, const json::value&) { names.emplace_back(n); });
    CHECK(names == std::vector<std::string>{"a", "b"});
    CHECK_FALSE(ctx.stop_requested());
    stop.request_stop();
    CHECK(ctx.stop_requested());

    ctx.log().info("charged amount={}", 12);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "correlation_id=req-77 task=" + claim.ref.task.to_string() + " step=c attempt=2 charged amount=12");
}

TEST_CASE("handler registry: one callable serves several methods", "[unit][engine]")
{
    auto base = test::make_template({{"authorize"}, {"capture", {"authorize"}}, {"refund", {"capture"}}}, "tests",
                                    "methods");
    auto t = std::make_shared<task_template>(*base);
    for (auto& s : t->steps) {
        s.handler.callable = "payments";
        s.handler.method = s.name;
    }
    t->steps[2].handler.method = "void";

    handler_registry handlers;
    handlers.add_methods("payments", {{"authorize", [](step_context&) { return success({{"did", "authorize"}}); }},
                                      {"capture", [](step_context& ctx) { return success({{"did", ctx.method()}}); }}});
    auto checked = handlers.check(*t);
    REQUIRE_FALSE(checked);
    CHECK(checked.error() == errc::unknown_handler);
    REQUIRE(checked.error().problems.size() == 1);
    CHECK(checked.error().problems[0].path == "steps[2].handler.method");
    CHECK(checked.error().problems[0].message ==
          "step 'refund' names method 'void' of handler 'payments', which has only 'authorize', 'capture'");

    step_claim claim;
    claim.ref = {uuid::v7(std::chrono::system_clock::now(), 1, 2), 1};
    claim.tmpl = t;
    std::stop_source stop;
    logger log;
    step_context ctx(claim, claim.claimed_at + 10s, stop.get_token(), log);
    CHECK(ctx.method() == "capture");
    auto r = (*handlers.find("payments"))(ctx);
    REQUIRE(r.ok());
    CHECK(r.value().at("did") == "capture");

    claim.ref.step = 2;
    step_context unknown(claim, claim.claimed_at + 10s, stop.get_token(), log);
    auto refused = (*handlers.find("payments"))(unknown);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.kind() == error_kind::permanent);
    CHECK(refused.message() == "handler 'payments' has no method 'void'");
}
