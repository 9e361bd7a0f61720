#pragma once
// Conditional and batch workflows end to end, as a suite over the deployment type:
// `TASKER_DYNAMIC_WORKFLOWS_SUITE(Deployment, tags)`. Decisions create only the branches they
// name, a deferred convergence runs exactly once on what was created, wrong outcomes fail
// their step and create nothing, and batch workers resume from their last checkpoint.

#include "support/deployment.hpp"

#include <tasker/store/timeline.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace tasker::test::dynamic_workflows {

using namespace std::chrono_literals;

inline constexpr const char* approval_yaml = R"(
name: approval
namespace_name: dynamic
version: 1.0.0
input_schema: {type: object, required: [amount], properties: {amount: {type: number}}}
steps:
  - {name: validate, handler: {callable: approval.validate}}
  - {name: route, type: decision, dependencies: [validate], handler: {callable: approval.route}}
  - {name: auto_approve, dependencies: [route], handler: {callable: approval.approve}}
  - {name: manager_approval, dependencies: [route], handler: {callable: approval.approve}}
  - {name: finance_review, dependencies: [manager_approval], handler: {callable: approval.approve}}
  - name: finalize
    type: deferred_convergence
    dependencies: [auto_approve, manager_approval, finance_review]
    handler: {callable: approval.finalize}
)";

inline constexpr const char* batch_yaml = R"(
name: items
namespace_name: dynamic
version: 1.0.0
steps:
  - {name: analyze, type: batchable, handler: {callable: items.analyze}}
  - name: process
    type: batch_worker
    dependencies: [analyze]
    retry: {max_attempts: 3, backoff: constant, backoff_base_ms: 10, jitter: 0}
    handler: {callable: items.process}
  - {name: total, type: deferred_convergence, dependencies: [process], handler: {callable: items.total}}
)";

inline std::vector<std::string> step_names(const task_view& t)
{
    std::vector<std::string> out;
    for (const auto& s : t.steps)
        out.push_back(s.name);
    return out;
}

inline int created_transitions(const task_view& t)
{
    return static_cast<int>(std::count_if(t.step_transitions.begin(), t.step_transitions.end(),
                                          [](const step_transition& tr) { return tr.event == step_event::create; }));
}

template <class D>
void approval_routes_by_amount()
{
    D d;
    auto& rt = d.rt;
    std::atomic<int> finalized{0};
    rt.handlers().add("approval.validate", [](step_context&) { return success(); });
    rt.handlers().add("approval.route", [](step_context& ctx) {
        const double amount = ctx.context().at("amount").to_number<double>();
        if (amount < 1000)
            return create_steps({"auto_approve"});
        if (amount < 5000)
            return create_steps({"manager_approval"});
        return create_steps({"manager_approval", "finance_review"});
    });
    rt.handlers().add("approval.approve", [](step_context& ctx) { return success({{"by", ctx.step_name()}}); });
    rt.handlers().add("approval.finalize", [&](step_context& ctx) {
        ++finalized;
        json::array approvals;
        ctx.for_each_result([&](std::string_view name, const json::value& v) {
            if (name != "validate" && name != "route")
                approvals.push_back(v.at("by"));
        });
        return success({{"approvals", approvals}});
    });
    REQUIRE(rt.load_template(approval_yaml));
    REQUIRE(rt.start());

    struct expected {
        double amount;
        std::vector<std::string> steps;
        std::size_t approvals;
    };
    const std::vector<expected> cases{
        {250, {"validate", "route", "auto_approve", "finalize"}, 1},
        {2500, {"validate", "route", "manager_approval", "finalize"}, 1},
        {25000, {"validate", "route", "manager_approval", "finance_review", "finalize"}, 2},
    };
    for (const auto& c : cases) {
        INFO("amount " << c.amount);
        auto id = rt.submit({{"dynamic", "approval", std::nullopt}, json::object{{"amount", c.amount}}, {}, {}});
        REQUIRE(id);
        auto t = rt.wait(id->id, 30s);
        REQUIRE(t);
        INFO(format_timeline(*t));
        REQUIRE(t->state == task_state::complete);
        CHECK(step_names(*t) == c.steps);
        CHECK(t->step("finalize")->result->at("approvals").as_array().size() == c.approvals);
        CHECK(created_transitions(*t) == static_cast<int>(c.steps.size()) - 2);
    }
    CHECK(finalized.load() == static_cast<int>(cases.size()));
}

template <class D>
void wrong_outcome_fails_the_decision()
{
    D d;
    auto& rt = d.rt;
    rt.handlers().add("approval.validate", [](step_context&) { return success(); });
    rt.handlers().add("approval.route", [](step_context&) { return create_steps({"finance_review"}); });
    rt.handlers().add("approval.approve", [](step_context&) { return success(); });
    rt.handlers().add("approval.finalize", [](step_context&) { return success(); });
    REQUIRE(rt.load_template(approval_yaml));
    REQUIRE(rt.start());
    auto id = rt.submit({{"dynamic", "approval", std::nullopt}, json::object{{"amount", 1}}, {}, {}});
    REQUIRE(id);
    auto t = rt.wait(id->id, 30s);
    REQUIRE(t);
    INFO(format_timeline(*t));
    CHECK(t->state == task_state::error);
    CHECK(step_names(*t) == std::vector<std::string>{"validate", "route"});
    const auto* route = t->step("route");
    CHECK(route->state == step_state::error);
    REQUIRE(route->last_error);
    CHECK(route->last_error->kind == error_kind::permanent);
    CHECK_THAT(route->last_error->message,
               Catch::Contains("which depends on 'manager_approval': that step does not exist"));
    CHECK(route->attempts == 1); // refused, not retried
}

// A batch worker fails once mid-batch after a checkpoint; its retry resumes from the
// checkpoint, so no item before it is processed twice, and the total sees every item.
template <class D>
void batches_resume_from_their_checkpoint()
{
    D d;
    auto& rt = d.rt;
    constexpr std::int64_t items = 1000, batch_size = 250, every = 50;
    std::mutex m;
    std::multiset<std::int64_t> processed;
    std::set<std::string> failed_once;
    std::atomic<int> totals{0};
    rt.handlers().add("items.analyze", [&](step_context&) {
        return create_batches("process", even_batches(items, batch_size), items);
    });
    rt.handlers().add("items.process", [&](step_context& ctx) {
        const auto cursor = ctx.batch().value();
        auto progress = ctx.last_checkpoint().value_or(batch_checkpoint{cursor.start, 0, json::value(0)});
        std::int64_t sum = progress.accumulated.to_number<std::int64_t>();
        for (auto i = progress.cursor; i < cursor.end; ++i) {
            {
                std::lock_guard lock(m);
                processed.insert(i);
            }
            sum += i;
            ++progress.items_processed;
            if ((i + 1 - cursor.start) % every == 0) {
                progress.cursor = i + 1;
                progress.accumulated = sum;
                if (auto r = ctx.checkpoint(progress); !r)
                    return retryable_error(r.error().message);
            }
            // Batch 002 fails once, 20 items past its second checkpoint.
            if (cursor.batch_id == "002" && i == cursor.start + 2 * every + 19) {
                std::lock_guard lock(m);
                if (failed_once.insert(cursor.batch_id).second)
                    return retryable_error("worker lost its connection mid-batch");
            }
        }
        return success({{"sum", sum}, {"items", progress.items_processed}});
    });
    rt.handlers().add("items.total", [&](step_context& ctx) {
        ++totals;
        std::int64_t sum = 0, workers = 0;
        ctx.for_each_result([&](std::string_view name, const json::value& v) {
            if (name.rfind("process_", 0) == 0) {
                sum += v.at("sum").to_number<std::int64_t>();
                ++workers;
            }
        });
        return success({{"sum", sum}, {"workers", workers}});
    });
    REQUIRE(rt.load_template(batch_yaml));
    REQUIRE(rt.start());
    auto id = rt.submit({{"dynamic", "items", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(id);
    auto t = rt.wait(id->id, 60s);
    REQUIRE(t);
    INFO(format_timeline(*t));
    REQUIRE(t->state == task_state::complete);
    CHECK(step_names(*t) == std::vector<std::string>{"analyze", "total", "process_001", "process_002", "process_003",
                                                     "process_004"});
    CHECK(t->step("process_002")->attempts == 2);
    CHECK(t->step("total")->result->at("sum") == items * (items - 1) / 2);
    CHECK(t->step("total")->result->at("workers") == 4);
    CHECK(totals.load() == 1);
    // Items of batch 002 after its last checkpoint before the failure (350..369) ran twice.
    std::lock_guard lock(m);
    for (std::int64_t i = 0; i < items; ++i) {
        INFO("item " << i);
        CHECK(processed.count(i) == (i >= 350 && i < 370 ? 2u : 1u));
    }
}

template <class D>
void no_batches_still_converges()
{
    D d;
    auto& rt = d.rt;
    std::atomic<int> totals{0};
    rt.handlers().add("items.analyze", [](step_context&) { return no_batches(); });
    rt.handlers().add("items.process", [](step_context&) { return permanent_error("a no-op worker never runs"); });
    rt.handlers().add("items.total", [&](step_context&) {
        ++totals;
        return success();
    });
    REQUIRE(rt.load_template(batch_yaml));
    REQUIRE(rt.start());
    auto id = rt.submit({{"dynamic", "items", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(id);
    auto t = rt.wait(id->id, 30s);
    REQUIRE(t);
    INFO(format_timeline(*t));
    REQUIRE(t->state == task_state::complete);
    CHECK(step_names(*t) == std::vector<std::string>{"analyze", "total", "process_no_op"});
    CHECK(t->step("process_no_op")->attempts == 0);
    CHECK(totals.load() == 1);
}

// Failure strategy `isolate`: a batch that fails for good leaves the others running; the
// task then fails naming it, and an operator's reset (by the worker's name) reruns it from
// its checkpoint, after which the convergence runs once.
template <class D>
void isolated_batch_reruns_after_a_reset()
{
    D d;
    auto& rt = d.rt;
    std::atomic<bool> broken{true};
    std::atomic<int> totals{0};
    std::mutex m;
    std::vector<std::int64_t> starts_of_002;
    rt.handlers().add("items.analyze", [](step_context&) { return create_batches("process", even_batches(90, 30), 90); });
    rt.handlers().add("items.process", [&](step_context& ctx) {
        const auto cursor = ctx.batch().value();
        auto progress = ctx.last_checkpoint().value_or(batch_checkpoint{cursor.start, 0, json::value(0)});
        if (cursor.batch_id == "002") {
            std::lock_guard lock(m);
            starts_of_002.push_back(progress.cursor);
        }
        std::int64_t sum = progress.accumulated.to_number<std::int64_t>();
        for (auto i = progress.cursor; i < cursor.end; ++i) {
            sum += i;
            if (i + 1 - cursor.start == 10) {
                progress.cursor = i + 1;
                progress.accumulated = sum;
                if (!ctx.checkpoint(progress))
                    return retryable_error("checkpoint not kept");
                if (cursor.batch_id == "002" && broken)
                    return permanent_error("the batch's source is unreadable");
            }
        }
        return success({{"sum", sum}});
    });
    rt.handlers().add("items.total", [&](step_context& ctx) {
        ++totals;
        std::int64_t sum = 0;
        ctx.for_each_result([&](std::string_view, const json::value& v) {
            if (const auto* o = v.if_object(); o && o->contains("sum"))
                sum += o->at("sum").to_number<std::int64_t>();
        });
        return success({{"sum", sum}});
    });
    std::string yaml = batch_yaml;
    const std::string worker = "    handler: {callable: items.process}\n";
    yaml.replace(yaml.find(worker), worker.size(),
                 worker + "    batch_config: {batch_size: 30, parallelism: 3, cursor_field: item, "
                          "worker_template: process, failure_strategy: isolate}\n");
    REQUIRE(rt.load_template(yaml));
    REQUIRE(rt.start());
    auto id = rt.submit({{"dynamic", "items", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(id);
    auto t = rt.wait(id->id, 30s);
    REQUIRE(t);
    INFO(format_timeline(*t));
    REQUIRE(t->state == task_state::error);
    CHECK(t->step("process_001")->state == step_state::complete);
    CHECK(t->step("process_003")->state == step_state::complete);
    CHECK(t->step("process_002")->state == step_state::error);
    CHECK(t->step("total")->state == step_state::pending);

    broken = false;
    REQUIRE(rt.act(id->id, action::reset_step{"process_002"}, change_origin{"operator:test", "fixed the input", nullptr}));
    t = rt.wait(id->id, 30s);
    REQUIRE(t);
    INFO(format_timeline(*t));
    REQUIRE(t->state == task_state::complete);
    CHECK(t->step("total")->result->at("sum") == 89 * 90 / 2);
    CHECK(totals.load() == 1);
    std::lock_guard lock(m);
    CHECK(starts_of_002 == std::vector<std::int64_t>{30, 40}); // the rerun resumed from its checkpoint
}

} // namespace tasker::test::dynamic_workflows

/// The conditional and batch workflow cases for `Deployment`, tagged `tags`.
#define TASKER_DYNAMIC_WORKFLOWS_SUITE(Deployment, tags)                                                             \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "dynamic workflows",                                                    \
                           ::tasker::test::dynamic_workflows::approval_routes_by_amount,                             \
                           "a decision creates the branch for the amount and finalize runs once")                    \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "dynamic workflows",                                                    \
                           ::tasker::test::dynamic_workflows::wrong_outcome_fails_the_decision,                      \
                           "a wrong outcome fails the decision permanently and creates nothing")                     \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "dynamic workflows",                                                    \
                           ::tasker::test::dynamic_workflows::batches_resume_from_their_checkpoint,                  \
                           "a failed batch resumes from its checkpoint and the total sees every item")               \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "dynamic workflows",                                                    \
                           ::tasker::test::dynamic_workflows::no_batches_still_converges,                            \
                           "no batches: a no-op worker and the convergence runs once")                               \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "dynamic workflows",                                                    \
                           ::tasker::test::dynamic_workflows::isolated_batch_reruns_after_a_reset,                   \
                           "an isolated failed batch reruns from its checkpoint after a reset")
