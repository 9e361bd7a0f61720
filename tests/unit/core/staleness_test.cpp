// Staleness rules and the dead-letter queue's rules, pure: judging a task against its limits,
// paging cursors, filters and investigators' updates.
#include <tasker/core/dead_letter_rules.hpp>
#include <tasker/core/staleness.hpp>
#include <tasker/store/staleness_sweep.hpp>

#include "support/catch.hpp"

using namespace tasker;
using namespace std::chrono_literals;

namespace {

const time_point t0 = std::chrono::sys_days{std::chrono::year{2030} / 1 / 1};

lifecycle_limits limits(std::optional<std::chrono::minutes> retry, std::optional<std::chrono::minutes> life = {},
                        staleness_action action = staleness_action::dlq)
{
    lifecycle_limits l;
    l.max_waiting_for_retry = retry;
    l.max_duration = life;
    l.action = action;
    return l;
}

} // namespace

TEST_CASE("judge_staleness: the time in a state counts against that state's limit", "[unit][staleness]")
{
    const auto l = limits(1min);
    auto v = judge_staleness(l, {}, task_state::waiting_for_retry, t0, t0 + 10s, t0 + 10s + 2min);
    REQUIRE(v);
    CHECK(v->limit == lifecycle_limit::max_waiting_for_retry);
    CHECK(v->passed());
    CHECK(v->age == 2min);
    CHECK(v->allowed == 1min);
    CHECK(v->used() == Approx(2.0));
    CHECK(v->action == staleness_action::dlq);
    CHECK(v->from_template);
    CHECK(v->reason() ==
          "waiting_for_retry for 2m, past the template's limit of 1m (max_waiting_for_retry_minutes)");

    auto young = judge_staleness(l, {}, task_state::waiting_for_retry, t0, t0, t0 + 30s);
    REQUIRE(young);
    CHECK_FALSE(young->passed());
    CHECK(young->used() == Approx(0.5));
    // Another state has no such limit; a finished task none at all.
    CHECK_FALSE(judge_staleness(l, {}, task_state::steps_in_process, t0, t0, t0 + 1h));
    CHECK_FALSE(judge_staleness(limits(1min, 1min), {}, task_state::complete, t0, t0, t0 + 1h));
}

TEST_CASE("judge_staleness: the most used limit wins; a template's own beats a default", "[unit][staleness]")
{
    // Alive for 50 of 60 minutes, in retry for 2 of 1: the retry limit is the one passed.
    auto v = judge_staleness(limits(1min, 60min), {}, task_state::waiting_for_retry, t0, t0 + 48min, t0 + 50min);
    REQUIRE(v);
    CHECK(v->limit == lifecycle_limit::max_waiting_for_retry);
    // A default fills in what the template does not set, with the defaults' action.
    lifecycle_limits defaults;
    defaults.max_duration = 30min;
    defaults.action = staleness_action::error;
    auto d = judge_staleness(limits(1min), defaults, task_state::steps_in_process, t0, t0, t0 + 31min);
    REQUIRE(d);
    CHECK(d->limit == lifecycle_limit::max_duration);
    CHECK_FALSE(d->from_template);
    CHECK(d->action == staleness_action::error);
    CHECK(d->reason().find("the default limit of 30m") != std::string::npos);
    // ...and loses to the template's own.
    auto own = judge_staleness(limits({}, 45min, staleness_action::none), defaults, task_state::steps_in_process, t0,
                               t0, t0 + 31min);
    REQUIRE(own);
    CHECK_FALSE(own->passed());
    CHECK(own->action == staleness_action::none);
}

TEST_CASE("shortest_limit and check_sweep", "[unit][staleness]")
{
    lifecycle_limits defaults;
    defaults.max_duration = 30min;
    CHECK(shortest_limit(limits(1min), defaults) == duration(1min));
    CHECK_FALSE(shortest_limit({}, {}));

    staleness_sweep s;
    CHECK(check_sweep(s));
    s.limit = 0;
    CHECK(check_sweep(s).error() == errc::invalid_request);
    s.limit = 10;
    s.report_from = 1.5;
    CHECK(check_sweep(s).error().message.find("report_from") != std::string::npos);
    s.report_from = 0.8;
    s.defaults.max_waiting_for_retry = std::chrono::minutes(0);
    CHECK(check_sweep(s).error().message.find("max_waiting_for_retry") != std::string::npos);
}

TEST_CASE("dead-letter cursors round-trip and bad ones are refused", "[unit][staleness][dead_letters]")
{
    dead_letter e;
    e.id = 42;
    e.priority = -3;
    const auto newest = cursor_after(e, dead_letter_order::newest);
    const auto queue = cursor_after(e, dead_letter_order::investigation);
    CHECK(parse_cursor(newest, dead_letter_order::newest)->id == 42);
    auto p = parse_cursor(queue, dead_letter_order::investigation);
    REQUIRE(p);
    CHECK(p->id == 42);
    CHECK(p->priority == -3);
    for (const std::string bad : {"", "x42", "n", "n42x", "i3", "i.4"}) {
        INFO(bad);
        CHECK_FALSE(parse_cursor(bad, dead_letter_order::investigation));
    }
    CHECK_FALSE(parse_cursor(queue, dead_letter_order::newest)); // a cursor of the other order

    dead_letter_filter f;
    f.limit = 0;
    CHECK(check_dead_letter_filter(f).error() == errc::invalid_request);
    f.limit = 10;
    f.cursor = "garbage";
    CHECK(check_dead_letter_filter(f).error().message.find("not a cursor") != std::string::npos);
    f.cursor.clear();
    f.order = dead_letter_order::investigation;
    f.status = dead_letter_status::cancelled;
    CHECK(check_dead_letter_filter(f).error().message.find("open entries only") != std::string::npos);
}

TEST_CASE("dead-letter order: newest first, or the investigation queue by priority then age",
          "[unit][staleness][dead_letters]")
{
    dead_letter old_low, old_high, new_high;
    old_low.id = 1;
    old_high.id = 2;
    old_high.priority = 5;
    new_high.id = 3;
    new_high.priority = 5;
    CHECK(listed_before(new_high, old_high, dead_letter_order::newest));
    CHECK(listed_before(old_high, new_high, dead_letter_order::investigation));
    CHECK(listed_before(new_high, old_low, dead_letter_order::investigation));
    const dead_letter_position after_old_high{2, 5};
    CHECK(comes_after(new_high, after_old_high, dead_letter_order::investigation));
    CHECK(comes_after(old_low, after_old_high, dead_letter_order::investigation));
    CHECK_FALSE(comes_after(old_high, after_old_high, dead_letter_order::investigation));
}

TEST_CASE("dead-letter updates: closing records who and when, reopening clears it, notes pile up",
          "[unit][staleness][dead_letters]")
{
    CHECK(check_dead_letter_update({dead_letter_status::investigating, "", "operator:bob"}));
    CHECK(check_dead_letter_update({{}, "", "operator:bob"}).error().message.find("changes nothing") !=
          std::string::npos);
    CHECK(check_dead_letter_update({dead_letter_status::investigating, "", ""}).error() == errc::invalid_request);
    CHECK_FALSE(check_dead_letter_update({{}, std::string(max_note_length + 1, 'n'), "operator:bob"}));

    dead_letter e;
    apply_dead_letter_update(e, {dead_letter_status::investigating, "looking", "operator:bob"}, t0);
    CHECK(e.status == dead_letter_status::investigating);
    CHECK(e.resolved_by.empty());
    apply_dead_letter_update(e, {dead_letter_status::permanently_failed, "vendor gone", "operator:carol"}, t0 + 1h);
    CHECK(e.resolved_by == "operator:carol");
    CHECK(e.resolved_at == t0 + 1h);
    REQUIRE(e.notes.size() == 2);
    CHECK(e.notes[1].author == "operator:carol");
    CHECK(e.notes[1].text == "vendor gone");
    apply_dead_letter_update(e, {dead_letter_status::pending, "", "operator:dave"}, t0 + 2h);
    CHECK(e.resolved_by.empty());
    CHECK_FALSE(e.resolved_at);
    CHECK(e.updated_at == t0 + 2h);
}
