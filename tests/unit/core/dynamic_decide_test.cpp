// The decision core on templates with decision, deferred_convergence, batchable and
// batch_worker steps: what a task starts with, what outcomes create, when a convergence
// runs, and how wrong outcomes are refused. No store: the model below plays its part.
#include <tasker/core/creation_outcomes.hpp>
#include <tasker/core/decision.hpp>
#include <tasker/core/task_graph.hpp>

#include "support/catch.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

using namespace tasker;

namespace {

// A conditional approval: a decision routes to automatic or manager approval, finance
// review after the manager for large amounts, and a convergence finalises.
constexpr const char* approval_yaml = R"(
name: approval
namespace_name: conditional
version: 1.0.0
steps:
  - name: validate
    handler: {callable: approval.validate}
  - name: route
    type: decision
    dependencies: [validate]
    handler: {callable: approval.route}
  - name: auto_approve
    dependencies: [route]
    handler: {callable: approval.auto}
  - name: manager_approval
    dependencies: [route]
    handler: {callable: approval.manager}
  - name: finance_review
    dependencies: [manager_approval]
    handler: {callable: approval.finance}
  - name: finalize
    type: deferred_convergence
    dependencies: [auto_approve, manager_approval, finance_review]
    handler: {callable: approval.finalize}
)";

constexpr const char* batch_yaml = R"(
name: csv
namespace_name: batches
version: 1.0.0
steps:
  - name: analyze
    type: batchable
    handler: {callable: csv.analyze}
  - name: process_batch
    type: batch_worker
    dependencies: [analyze]
    handler: {callable: csv.process}
  - name: aggregate
    type: deferred_convergence
    dependencies: [process_batch]
    handler: {callable: csv.aggregate}
)";

// Decisions in decisions: `outer` creates `a` and `inner`, `inner` may create `b`, and
// `join` converges on `a` and `b`.
constexpr const char* nested_yaml = R"(
name: nested
namespace_name: conditional
version: 1.0.0
steps:
  - name: outer
    type: decision
    handler: {callable: n.outer}
  - name: a
    dependencies: [outer]
    handler: {callable: n.a}
  - name: inner
    type: decision
    dependencies: [outer]
    handler: {callable: n.inner}
  - name: b
    dependencies: [inner]
    handler: {callable: n.b}
  - name: join
    type: deferred_convergence
    dependencies: [a, b]
    handler: {callable: n.join}
)";

template_ptr load(const char* yaml, creation_limits limits = {})
{
    template_options options;
    options.creation = limits;
    auto t = load_template(yaml, options);
    REQUIRE(t);
    return std::make_shared<const task_template>(std::move(*t));
}

// Plays the store's part: keeps the task's steps, their names and results, and applies
// decisions as a store must (created steps first, then the changes).
struct dynamic_task {
    template_ptr tmpl;
    task_id id = uuid::v7(std::chrono::system_clock::now(), 1, 2);
    task_state state = task_state::pending;
    std::vector<step_status> steps;
    std::vector<std::string> names;
    std::map<std::uint32_t, json::value> results;
    std::map<std::uint32_t, json_ptr> inputs;
    std::map<std::uint32_t, step_failure> failures;
    decision d;
    std::vector<std::uint32_t> enqueued; // every step_ready message so far, by step

    explicit dynamic_task(template_ptr t) : tmpl(std::move(t))
    {
        initial_steps(*tmpl, steps);
        for (const auto& s : tmpl->steps)
            names.push_back(s.name);
    }

    result<void> run(const decision_input& in)
    {
        auto r = decide(*tmpl, id, state, steps, in, 7, d, [this](std::uint32_t i) -> const json::value* {
            auto it = results.find(i);
            return it == results.end() ? nullptr : &it->second;
        });
        if (!r)
            return r;
        for (const auto& c : d.created_steps) {
            if (c.step == steps.size()) {
                step_status s;
                s.definition = c.definition;
                s.created = false;
                steps.push_back(s);
                names.push_back(c.name);
            }
            REQUIRE(c.step < steps.size());
            REQUIRE_FALSE(steps[c.step].created);
            steps[c.step].created = true;
            inputs[c.step] = c.input;
        }
        for (const auto& c : d.task_changes) {
            REQUIRE(c.from == state);
            state = c.to;
        }
        for (const auto& c : d.step_changes) {
            REQUIRE(steps[c.step].state == c.from);
            apply_step_change(steps[c.step], c);
        }
        for (const auto& [i, f] : d.refused_results)
            failures[i] = f;
        for (const auto& m : d.messages)
            if (m.msg.kind == message_kind::step_ready)
                enqueued.push_back(m.msg.step);
        return r;
    }

    std::uint32_t index(const std::string& name) const
    {
        auto it = std::find(names.begin(), names.end(), name);
        REQUIRE(it != names.end());
        return static_cast<std::uint32_t>(it - names.begin());
    }
    step_state state_of(const std::string& name) const { return steps[index(name)].state; }
    bool exists(const std::string& name) const
    {
        auto it = std::find(names.begin(), names.end(), name);
        return it != names.end() && steps[static_cast<std::size_t>(it - names.begin())].created;
    }

    void succeed(const std::string& name, json::value result = nullptr)
    {
        const auto i = index(name);
        auto& s = steps[i];
        REQUIRE(s.state == step_state::enqueued);
        ++s.attempts;
        s.state = step_state::enqueued_for_orchestration;
        results[i] = std::move(result);
        REQUIRE(run(input::step_result{i, s.attempts}));
    }
    void fail(const std::string& name)
    {
        const auto i = index(name);
        auto& s = steps[i];
        REQUIRE(s.state == step_state::enqueued);
        ++s.attempts;
        s.state = step_state::enqueued_as_error_for_orchestration;
        s.last_error = error_kind::permanent;
        REQUIRE(run(input::step_result{i, s.attempts}));
    }
    std::vector<std::string> existing() const
    {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < steps.size(); ++i)
            if (steps[i].created)
                out.push_back(names[i]);
        return out;
    }
};

json::value decide_steps(std::vector<std::string> names) { return to_result(decision_outcome{std::move(names)}); }

batch_outcome batches(int count, int size)
{
    batch_outcome o{"process_batch", {}, count * size};
    for (int k = 0; k < count; ++k) {
        char id[16];
        std::snprintf(id, sizeof id, "%03d", k + 1);
        o.batches.push_back({id, k * size, (k + 1) * size, size, count * size});
    }
    return o;
}

} // namespace

TEST_CASE("decision points: a task starts with the steps up to its decisions", "[unit][core][dynamic]")
{
    dynamic_task t(load(approval_yaml));
    REQUIRE(t.run(input::start{}));
    CHECK(t.existing() == std::vector<std::string>{"validate", "route"});
    CHECK(t.enqueued == std::vector<std::uint32_t>{t.index("validate")});
    t.succeed("validate");
    CHECK(t.state_of("route") == step_state::enqueued);
}

TEST_CASE("decision points: the outcome creates the named steps and the convergence", "[unit][core][dynamic]")
{
    dynamic_task t(load(approval_yaml));
    REQUIRE(t.run(input::start{}));
    t.succeed("validate");

    SECTION("a small amount: automatic approval, then finalize")
    {
        t.succeed("route", decide_steps({"auto_approve"}));
        CHECK(t.d.created_steps.size() == 2);
        CHECK(t.existing() == std::vector<std::string>{"validate", "route", "auto_approve", "finalize"});
        CHECK(t.state_of("route") == step_state::complete);
        CHECK(t.state_of("auto_approve") == step_state::enqueued);
        CHECK(t.state_of("finalize") == step_state::pending);
        t.succeed("auto_approve");
        CHECK(t.state_of("finalize") == step_state::enqueued);
        t.succeed("finalize");
        CHECK(t.state == task_state::complete);
        CHECK_FALSE(t.exists("manager_approval"));
    }
    SECTION("a large amount: manager, then finance, then finalize")
    {
        t.succeed("route", decide_steps({"manager_approval", "finance_review"}));
        CHECK(t.existing() ==
              std::vector<std::string>{"validate", "route", "manager_approval", "finance_review", "finalize"});
        CHECK(t.state_of("manager_approval") == step_state::enqueued);
        CHECK(t.state_of("finance_review") == step_state::pending);
        t.succeed("manager_approval");
        CHECK(t.state_of("finance_review") == step_state::enqueued);
        CHECK(t.state_of("finalize") == step_state::pending);
        t.succeed("finance_review");
        t.succeed("finalize");
        CHECK(t.state == task_state::complete);
    }
    SECTION("a medium amount: the manager alone; finance review is on the branch and not named")
    {
        t.succeed("route", decide_steps({"manager_approval"}));
        CHECK(t.existing() == std::vector<std::string>{"validate", "route", "manager_approval", "finalize"});
        t.succeed("manager_approval");
        CHECK(t.state_of("finalize") == step_state::enqueued);
    }
    SECTION("no branches: nothing below the decision runs, the task completes")
    {
        t.succeed("route", to_result(decision_outcome{}));
        CHECK(t.d.created_steps.empty());
        CHECK(t.state == task_state::complete);
    }
    SECTION("the same result processed twice creates nothing twice")
    {
        t.succeed("route", decide_steps({"auto_approve"}));
        REQUIRE(t.run(input::step_result{t.index("route"), 1}));
        CHECK(t.d.empty());
    }
}

TEST_CASE("decision points: a wrong outcome fails the decision permanently and creates nothing",
          "[unit][core][dynamic]")
{
    creation_limits limits;
    limits.max_steps_per_decision = 1;
    dynamic_task t(load(approval_yaml, limits));
    REQUIRE(t.run(input::start{}));
    t.succeed("validate");

    std::string reason;
    SECTION("an unknown name")
    {
        t.succeed("route", decide_steps({"ghost"}));
        reason = "names 'ghost', which is no step of the template";
    }
    SECTION("a step not below the decision")
    {
        t.succeed("route", decide_steps({"validate"}));
        reason = "names 'validate', which is not a step below it";
    }
    SECTION("a step whose dependency would not exist")
    {
        t.succeed("route", decide_steps({"finance_review"}));
        reason = "which depends on 'manager_approval': that step does not exist and the outcome does not create it";
    }
    SECTION("over the limit of steps per decision")
    {
        t.succeed("route", decide_steps({"auto_approve", "manager_approval"}));
        reason = "names 2 steps; the limit is 1 (creation_limits.max_steps_per_decision)";
    }
    SECTION("a result without an outcome")
    {
        t.succeed("route", json::object{{"approved", true}});
        reason = "the step's result has no 'decision_point_outcome' object";
    }
    CHECK(t.d.created_steps.empty());
    CHECK(t.state_of("route") == step_state::error);
    REQUIRE(t.failures.count(t.index("route")) == 1);
    const auto& f = t.failures.at(t.index("route"));
    CHECK(f.kind == error_kind::permanent);
    CHECK_THAT(f.message, Catch::Contains(reason));
    CHECK(t.existing() == std::vector<std::string>{"validate", "route"});
    CHECK(t.state == task_state::error);
    CHECK(t.d.dead_letter);
}

TEST_CASE("decision points: decisions nest, and a convergence waits for what a running decision may still create",
          "[unit][core][dynamic]")
{
    dynamic_task t(load(nested_yaml));
    REQUIRE(t.run(input::start{}));
    CHECK(t.existing() == std::vector<std::string>{"outer"});
    t.succeed("outer", decide_steps({"a", "inner"}));
    CHECK(t.existing() == std::vector<std::string>{"outer", "a", "inner", "join"});
    t.succeed("a");
    CHECK(t.state_of("join") == step_state::pending); // `inner` may still create `b`

    SECTION("the inner decision creates b: join waits for it")
    {
        t.succeed("inner", decide_steps({"b"}));
        CHECK(t.state_of("join") == step_state::pending);
        t.succeed("b");
        CHECK(t.state_of("join") == step_state::enqueued);
    }
    SECTION("the inner decision creates nothing: join runs on a alone")
    {
        t.succeed("inner", to_result(decision_outcome{}));
        CHECK(t.state_of("join") == step_state::enqueued);
    }
    t.succeed("join");
    CHECK(t.state == task_state::complete);
    CHECK(std::count(t.enqueued.begin(), t.enqueued.end(), t.index("join")) == 1);
}

TEST_CASE("decision points: the nesting limit refuses a decision too deep", "[unit][core][dynamic]")
{
    creation_limits limits;
    limits.max_decision_depth = 1;
    dynamic_task t(load(nested_yaml, limits));
    REQUIRE(t.run(input::start{}));
    t.succeed("outer", decide_steps({"a", "inner"}));
    CHECK(t.state_of("outer") == step_state::error);
    CHECK_THAT(t.failures.at(t.index("outer")).message,
               Catch::Contains("names 'inner', a decision 2 decisions deep; the limit is 1"));
}

TEST_CASE("batches: workers are created from the template, one per cursor, with the convergence",
          "[unit][core][dynamic]")
{
    dynamic_task t(load(batch_yaml));
    REQUIRE(t.run(input::start{}));
    CHECK(t.existing() == std::vector<std::string>{"analyze"});
    t.succeed("analyze", to_result(batches(3, 100)));
    CHECK(t.existing() == std::vector<std::string>{"analyze", "aggregate", "process_batch_001", "process_batch_002",
                                                   "process_batch_003"});
    CHECK(t.index("process_batch_001") == 3); // after the template's steps
    auto cursor = batch_cursor_of(*t.inputs.at(t.index("process_batch_002")));
    REQUIRE(cursor);
    CHECK(*cursor == batch_cursor{"002", 100, 200, 100, 300});
    for (auto w : {"process_batch_001", "process_batch_002", "process_batch_003"})
        CHECK(t.state_of(w) == step_state::enqueued);
    t.succeed("process_batch_002");
    t.succeed("process_batch_001");
    CHECK(t.state_of("aggregate") == step_state::pending);
    t.succeed("process_batch_003");
    CHECK(t.state_of("aggregate") == step_state::enqueued);
    t.succeed("aggregate");
    CHECK(t.state == task_state::complete);

    const task_graph g(*t.tmpl, t.steps);
    const auto seen = g.ancestors(t.index("aggregate"));
    CHECK(seen == std::vector<std::uint32_t>{0, 3, 4, 5}); // analyze and every worker
}

TEST_CASE("batches: no batches makes one no-op worker that completes at once", "[unit][core][dynamic]")
{
    dynamic_task t(load(batch_yaml));
    REQUIRE(t.run(input::start{}));
    t.succeed("analyze", to_result(batch_outcome{}));
    CHECK(t.existing() == std::vector<std::string>{"analyze", "aggregate", "process_batch_no_op"});
    CHECK(t.state_of("process_batch_no_op") == step_state::complete);
    CHECK(t.state_of("aggregate") == step_state::enqueued);
}

TEST_CASE("batches: wrong batch outcomes are refused", "[unit][core][dynamic]")
{
    creation_limits limits;
    limits.max_batches = 2;
    dynamic_task t(load(batch_yaml, limits));
    REQUIRE(t.run(input::start{}));
    std::string reason;
    SECTION("too many batches")
    {
        t.succeed("analyze", to_result(batches(3, 10)));
        reason = "plans 3 batches; the limit is 2 (creation_limits.max_batches)";
    }
    SECTION("a repeated batch id")
    {
        auto o = batches(2, 10);
        o.batches[1].batch_id = "001";
        t.succeed("analyze", to_result(o));
        reason = "plans batch '001' twice";
    }
    SECTION("a worker template that is not a batch worker")
    {
        auto o = batches(1, 10);
        o.worker_template = "aggregate";
        t.succeed("analyze", to_result(o));
        reason = "which is not a batch_worker step depending on it";
    }
    CHECK(t.state_of("analyze") == step_state::error);
    CHECK_THAT(t.failures.at(t.index("analyze")).message, Catch::Contains(reason));
    CHECK(t.existing() == std::vector<std::string>{"analyze"});
}

TEST_CASE("dynamic templates: the shape of decision and batch steps is checked when a template loads",
          "[unit][core][dynamic]")
{
    auto t = load_template(R"(
name: bad
namespace_name: shapes
version: 1.0.0
steps:
  - name: lonely_worker
    type: batch_worker
    handler: {callable: x.w}
  - name: empty_decision
    type: decision
    handler: {callable: x.d}
  - name: workless
    type: batchable
    handler: {callable: x.b}
)");
    REQUIRE_FALSE(t);
    const auto& ps = t.error().problems;
    auto has = [&](const std::string& text) {
        return std::any_of(ps.begin(), ps.end(), [&](const problem& p) { return p.message.find(text) != std::string::npos; });
    };
    CHECK(has("batch_worker step 'lonely_worker' must depend on exactly one batchable step"));
    CHECK(has("decision step 'empty_decision' has no steps below it for its outcome to create"));
    CHECK(has("batchable step 'workless' has no batch_worker step depending on it"));
}

TEST_CASE("outcomes: read back as written, and located complaints about malformed ones", "[unit][core][dynamic]")
{
    const decision_outcome d{{"a", "b"}};
    CHECK(decision_outcome_of(to_result(d)).value() == d);
    CHECK(decision_outcome_of(to_result(decision_outcome{})).value().steps.empty());
    const auto b = batches(2, 50);
    CHECK(batch_outcome_of(to_result(b)).value() == b);
    const batch_checkpoint c{120, 20, json::object{{"sum", 5}}};
    CHECK(batch_checkpoint_of(to_json(c)).value() == c);

    auto wrong_type = decision_outcome_of(json::parse(R"({"decision_point_outcome": {"type": "maybe"}})"));
    REQUIRE_FALSE(wrong_type);
    CHECK(wrong_type.error().code == errc::invalid_outcome);
    CHECK_THAT(wrong_type.error().message, Catch::Contains("'maybe' (expected create_steps or no_branches)"));
    auto backwards = batch_cursor_of(json::parse(R"({"batch_id": "x", "start_cursor": 9, "end_cursor": 3})"));
    REQUIRE_FALSE(backwards);
    CHECK_THAT(backwards.error().message, Catch::Contains("ends (3) before it starts (9)"));
    auto bad_id = batch_cursor_of(json::parse(R"({"batch_id": "A/1", "start_cursor": 0, "end_cursor": 1})"));
    REQUIRE_FALSE(bad_id);
    CHECK_THAT(bad_id.error().message, Catch::Contains("batch_id must be 1 to 16 of [a-z0-9_]"));
}

namespace {

std::string batch_yaml_with(const std::string& parallelism, const std::string& strategy)
{
    std::string y = batch_yaml;
    const std::string worker = "    handler: {callable: csv.process}\n";
    y.replace(y.find(worker), worker.size(),
              worker + "    batch_config: {batch_size: 10, parallelism: " + parallelism +
                  ", cursor_field: row, worker_template: process_batch, failure_strategy: " + strategy + "}\n");
    return y;
}

} // namespace

TEST_CASE("batches: parallelism bounds the workers running at once", "[unit][core][dynamic]")
{
    dynamic_task t(load(batch_yaml_with("2", "fail_fast").c_str()));
    REQUIRE(t.run(input::start{}));
    t.succeed("analyze", to_result(batches(5, 10)));
    CHECK(t.state_of("process_batch_001") == step_state::enqueued);
    CHECK(t.state_of("process_batch_002") == step_state::enqueued);
    CHECK(t.state_of("process_batch_003") == step_state::pending);
    t.succeed("process_batch_001");
    CHECK(t.state_of("process_batch_003") == step_state::enqueued);
    CHECK(t.state_of("process_batch_004") == step_state::pending);
    for (auto w : {"process_batch_002", "process_batch_003"})
        t.succeed(w);
    t.succeed("process_batch_004");
    t.succeed("process_batch_005");
    t.succeed("aggregate");
    CHECK(t.state == task_state::complete);
}

TEST_CASE("batches: what a failed batch means under each failure strategy", "[unit][core][dynamic]")
{
    SECTION("fail_fast: no further batch starts and the task fails")
    {
        dynamic_task t(load(batch_yaml_with("1", "fail_fast").c_str()));
        REQUIRE(t.run(input::start{}));
        t.succeed("analyze", to_result(batches(3, 10)));
        t.fail("process_batch_001");
        CHECK(t.state_of("process_batch_002") == step_state::pending);
        CHECK(t.state == task_state::error);
        CHECK(t.d.dead_letter);
    }
    SECTION("continue_on_failure: the others and the convergence run, the task completes")
    {
        dynamic_task t(load(batch_yaml_with("1", "continue_on_failure").c_str()));
        REQUIRE(t.run(input::start{}));
        t.succeed("analyze", to_result(batches(3, 10)));
        t.fail("process_batch_001");
        t.succeed("process_batch_002");
        t.succeed("process_batch_003");
        CHECK(t.state_of("aggregate") == step_state::enqueued);
        t.succeed("aggregate");
        CHECK(t.state == task_state::complete);
        CHECK(t.state_of("process_batch_001") == step_state::error);
    }
    SECTION("isolate: the others run to the end, the task fails naming the failed batch, a reset resumes it")
    {
        dynamic_task t(load(batch_yaml_with("3", "isolate").c_str()));
        REQUIRE(t.run(input::start{}));
        t.succeed("analyze", to_result(batches(3, 10)));
        t.fail("process_batch_002");
        t.succeed("process_batch_001");
        t.succeed("process_batch_003");
        CHECK(t.state_of("aggregate") == step_state::pending);
        CHECK(t.state == task_state::error);
        REQUIRE(t.d.dead_letter);
        CHECK(t.d.failed_steps == std::vector<std::uint32_t>{t.index("process_batch_002")});

        auto reset = operator_input(*t.tmpl, t.id, action::reset_step{"process_batch_002"}, t.names);
        REQUIRE(reset);
        REQUIRE(t.run(*reset));
        CHECK(t.state_of("process_batch_002") == step_state::enqueued);
        t.succeed("process_batch_002");
        t.succeed("aggregate");
        CHECK(t.state == task_state::complete);
    }
}
