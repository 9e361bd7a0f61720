// The rules every store computes analytics by: the query check, the window, nearest-rank
// percentiles, the step rankings and a template's tally.
#include <tasker/core/analytics.hpp>

#include "support/catch.hpp"
#include "support/problems.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace tasker;
using namespace std::chrono_literals;
using test::find_problem;

namespace {

analytics_query window()
{
    const time_point at{std::chrono::seconds(1700000000)};
    return analytics_query{.from = at, .to = at + 1h};
}

std::string problem_at(const analytics_query& q, std::string_view path)
{
    const auto r = check_analytics_query(q);
    REQUIRE_FALSE(r);
    const auto e = r.error();
    INFO(e);
    CHECK(e == errc::invalid_request);
    const auto* p = find_problem(e, path);
    REQUIRE(p);
    return p->message;
}

std::vector<duration> millis(std::initializer_list<int> ms)
{
    std::vector<duration> out;
    for (int m : ms)
        out.push_back(std::chrono::milliseconds(m));
    return out;
}

template_key key(std::string ns, std::string name, std::string version = "1.0.0")
{
    return {std::move(ns), std::move(name), semver::parse(version).value()};
}

} // namespace

TEST_CASE("an analytics query needs a window, sane limits and a namespace for a name", "[core][analytics]")
{
    CHECK(check_analytics_query(window()));

    auto q = window();
    q.to = q.from;
    CHECK(problem_at(q, "to").find("after from") != std::string::npos);
    q.to = q.from - 1s;
    CHECK(problem_at(q, "to").find("after from") != std::string::npos);

    q = window();
    q.top_steps = 0;
    CHECK(problem_at(q, "top_steps") == "must be between 1 and 50, got 0");
    q.top_steps = 51;
    CHECK(problem_at(q, "top_steps") == "must be between 1 and 50, got 51");
    q.top_steps = 50;
    CHECK(check_analytics_query(q));

    q = window();
    q.sample = 0;
    CHECK(problem_at(q, "sample") == "must be between 1 and 100000, got 0");
    q.sample = 100001;
    CHECK(problem_at(q, "sample") == "must be between 1 and 100000, got 100001");

    q = window();
    q.name = "orders";
    CHECK(problem_at(q, "name").find("needs namespace_name") != std::string::npos);
    q.namespace_name = "shop";
    CHECK(check_analytics_query(q));
    q.namespace_name = std::string(200, 'n');
    CHECK_FALSE(problem_at(q, "namespace_name").empty());

    // Every problem at once, each once.
    analytics_query bad{.top_steps = 0, .sample = 0};
    const auto e = check_analytics_query(bad).error();
    CHECK(e.problems.size() == 3);
    CHECK(e.message == "the analytics query has 3 problems");
}

TEST_CASE("the window holds its start and not its end", "[core][analytics]")
{
    const auto q = window();
    CHECK(in_window(q, q.from));
    CHECK(in_window(q, q.to - 1ns));
    CHECK_FALSE(in_window(q, q.to));
    CHECK_FALSE(in_window(q, q.from - 1ns));
}

TEST_CASE("templates are selected by namespace and name", "[core][analytics]")
{
    auto q = window();
    CHECK(selects(q, key("shop", "orders")));
    q.namespace_name = "shop";
    CHECK(selects(q, key("shop", "orders")));
    CHECK_FALSE(selects(q, key("billing", "orders")));
    q.name = "orders";
    CHECK(selects(q, key("shop", "orders", "2.0.0")));
    CHECK_FALSE(selects(q, key("shop", "refunds")));
}

TEST_CASE("percentiles are nearest-rank", "[core][analytics]")
{
    CHECK(summarize_durations({}) == duration_summary{});

    const auto one = summarize_durations(millis({7}));
    CHECK(one.count == 1);
    CHECK(one.p50 == 7ms);
    CHECK(one.p99 == 7ms);

    // 1..100 ms shuffled: the p-th percentile is p ms.
    std::vector<duration> hundred;
    for (int i = 1; i <= 100; ++i)
        hundred.push_back(std::chrono::milliseconds(i));
    std::shuffle(hundred.begin(), hundred.end(), std::mt19937(5));
    const auto s = summarize_durations(hundred);
    CHECK(s.count == 100);
    CHECK(s.p50 == 50ms);
    CHECK(s.p95 == 95ms);
    CHECK(s.p99 == 99ms);

    // Ten values: ranks ceil(5) = 5, ceil(9.5) = 10, ceil(9.9) = 10.
    const auto ten = summarize_durations(millis({10, 1, 9, 2, 8, 3, 7, 4, 6, 5}));
    CHECK(ten.p50 == 5ms);
    CHECK(ten.p95 == 10ms);
    CHECK(ten.p99 == 10ms);

    // Two values: the median is the lower one.
    const auto two = summarize_durations(millis({300, 100}));
    CHECK(two.p50 == 100ms);
    CHECK(two.p95 == 300ms);
}

TEST_CASE("steps are ranked slowest first and most retried first, cut to the top", "[core][analytics]")
{
    auto timing = [](std::string step, int p95, int p99) {
        return step_timing{std::move(step), {1, 1ms, std::chrono::milliseconds(p95), std::chrono::milliseconds(p99)}};
    };
    const auto slow = rank_slowest({timing("a", 10, 10), timing("b", 30, 30), timing("c", 30, 40), timing("d", 20, 90),
                                    timing("e", 30, 40)},
                                   3);
    REQUIRE(slow.size() == 3);
    CHECK(slow[0].step == "c"); // p95 ties broken by p99, then by name
    CHECK(slow[1].step == "e");
    CHECK(slow[2].step == "b");

    const auto retried = rank_most_retried(
        {{"a", 0, 0}, {"b", 3, 1}, {"c", 3, 3}, {"d", 5, 2}, {"e", 1, 1}}, 3);
    REQUIRE(retried.size() == 3);
    CHECK(retried[0].step == "d");
    CHECK(retried[1].step == "c"); // retries tie: more tasks first
    CHECK(retried[2].step == "b");
    CHECK(rank_most_retried({{"a", 0, 0}}, 5).empty());
}

TEST_CASE("a tally counts its tasks by state and measures its sample", "[core][analytics]")
{
    template_tally t(key("shop", "orders"));
    t.started(task_state::complete, 3);
    t.started(task_state::error);
    t.started(task_state::cancelled);
    t.started(task_state::resolved_manually);
    t.started(task_state::steps_in_process, 2);
    t.started(task_state::waiting_for_retry);
    for (int ms : {100, 200, 300, 400})
        t.sampled_task(std::chrono::milliseconds(ms));
    t.attempt("charge", 250ms);
    t.attempt("charge", 50ms);
    t.attempt("ship", 100ms);
    t.retried("charge", 2);
    t.retried("charge", 1);
    t.retried("ship", 0);

    const auto f = std::move(t).finish(5);
    CHECK(f.key == key("shop", "orders"));
    CHECK(f.started == 9);
    CHECK(f.completed == 3);
    CHECK(f.failed == 1);
    CHECK(f.cancelled == 1);
    CHECK(f.resolved_manually == 1);
    CHECK(f.running == 3);
    CHECK(f.finished() == 6);
    CHECK(f.durations.count == 4);
    CHECK(f.durations.p50 == 200ms);
    CHECK(f.durations.p99 == 400ms);
    REQUIRE(f.slowest_steps.size() == 2);
    CHECK(f.slowest_steps[0].step == "charge");
    CHECK(f.slowest_steps[0].attempts.count == 2);
    CHECK(f.slowest_steps[0].attempts.p95 == 250ms);
    CHECK(f.slowest_steps[1].step == "ship");
    REQUIRE(f.most_retried_steps.size() == 1); // ship never retried
    CHECK(f.most_retried_steps[0] == step_retries{"charge", 3, 2});
}

TEST_CASE("the answer orders templates and leaves out those without tasks", "[core][analytics]")
{
    std::vector<template_tally> tallies;
    tallies.emplace_back(key("shop", "orders", "2.0.0"));
    tallies.emplace_back(key("billing", "invoices"));
    tallies.emplace_back(key("shop", "orders", "1.0.0"));
    tallies.emplace_back(key("shop", "empty"));
    for (auto& t : tallies)
        if (t.key().name != "empty") {
            t.started(task_state::complete);
            t.sampled_task(1s);
        }
    task_state_counts system;
    system.by[static_cast<std::size_t>(task_state::complete)] = 42;
    const auto q = window();
    const auto a = assemble_analytics(q, q.to, std::move(tallies), system);
    CHECK(a.from == q.from);
    CHECK(a.to == q.to);
    CHECK(a.as_of == q.to);
    REQUIRE(a.templates.size() == 3);
    CHECK(a.templates[0].key == key("billing", "invoices"));
    CHECK(a.templates[1].key == key("shop", "orders", "1.0.0"));
    CHECK(a.templates[2].key == key("shop", "orders", "2.0.0"));
    CHECK(a.sampled_tasks == 3);
    CHECK(a.system.of(task_state::complete) == 42);
    CHECK(a.system.total() == 42);
}
