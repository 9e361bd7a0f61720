// Whole workflows on PostgreSQL with each broker, as one suite parameterised over the broker
// type: tasker::pgmq (messages in the store's transaction) and tasker::rabbitmq (messages
// through the outbox and its relay). Nothing but the type differs between the runs. Two nodes
// (processes in a deployment, here runtimes with nothing shared in memory) share the work.
#include <tasker/store/timeline.hpp>

#include "handlers/math_handlers.hpp"

#include "support/catch.hpp"
#include "support/postgres_deployment.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

/// Steps that fail their first attempt (a retryable error), then succeed.
constexpr const char* flaky_yaml = R"(
name: flaky
namespace_name: itest
version: 1.0.0
steps:
  - name: first
    handler: {callable: itest.flaky}
    retry: {max_attempts: 3, backoff_base_ms: 300}
  - name: second
    depends_on: [first]
    handler: {callable: itest.flaky}
    retry: {max_attempts: 3, backoff_base_ms: 300}
)";

} // namespace

TEMPLATE_TEST_CASE("workflows on postgres: diamonds on two nodes run each step once", "[rabbitmq][postgres][end_to_end]",
                   pgmq::broker, rabbitmq::broker)
{
    const auto db = testing::migrated_database();
    test::broker_setup<TestType> setup(db.url());
    std::vector<std::unique_ptr<postgres::runtime<TestType>>> nodes;
    for (int i = 0; i < 2; ++i) {
        auto node = std::make_unique<postgres::runtime<TestType>>(test::postgres_fast_options(db.url()), setup.config);
        examples::register_math_handlers(node->handlers());
        REQUIRE(node->load_template_file(TASKER_EXAMPLES_DIR "/templates/diamond_workflow.yaml"));
        REQUIRE(node->start());
        nodes.push_back(std::move(node));
    }
    std::vector<std::pair<task_id, std::int64_t>> submitted;
    for (int i = 0; i < 12; ++i) {
        const std::int64_t n = 2 * (i + 1);
        auto created = nodes[i % 2]->submit(
            {{"examples", "diamond_workflow", std::nullopt}, json::object{{"even_number", n}}, {}, {}});
        REQUIRE(created);
        submitted.emplace_back(created->id, n);
    }
    for (const auto& [id, n] : submitted) {
        auto t = nodes[0]->wait(id, 60s);
        REQUIRE(t);
        INFO(format_timeline(*t));
        CHECK(t->state == task_state::complete);
        const auto expected = examples::expected_math_results(*t->tmpl, n);
        for (const auto& s : t->steps) {
            CHECK(s.state == step_state::complete);
            CHECK(s.attempts == 1);
            REQUIRE(s.result);
            CHECK(s.result->at("value").template to_number<std::int64_t>() == expected.at(s.name));
            // Claimed once, by one of the two nodes.
            CHECK(std::count_if(t->step_transitions.begin(), t->step_transitions.end(), [&](const step_transition& h) {
                      return h.step == s.index && h.event == step_event::claim;
                  }) == 1);
        }
    }
    CHECK(detail::run_blocking(nodes[0]->task_store().dead_letters({})).value().entries.empty());
    std::uint64_t succeeded = 0;
    for (auto& node : nodes) {
        node->stop(1s);
        succeeded += node->worker_stats().succeeded;
    }
    CHECK(succeeded == 4 * submitted.size());
}

TEMPLATE_TEST_CASE("workflows on postgres: a failed attempt comes back after its backoff and succeeds",
                   "[rabbitmq][postgres][end_to_end]", pgmq::broker, rabbitmq::broker)
{
    const auto db = testing::migrated_database();
    test::broker_setup<TestType> setup(db.url());
    postgres::runtime<TestType> rt(test::postgres_fast_options(db.url()), setup.config);
    std::atomic<int> calls{0};
    rt.handlers().add("itest.flaky", [&](step_context& ctx) {
        ++calls;
        return ctx.attempt() == 1 ? retryable_error("not yet") : success(json::object{{"attempt", ctx.attempt()}});
    });
    REQUIRE(rt.load_template(flaky_yaml));
    REQUIRE(rt.start());
    auto created = rt.submit({{"itest", "flaky", std::nullopt}, json::object{}, {}, {}});
    REQUIRE(created);
    auto t = rt.wait(created->id, 60s);
    REQUIRE(t);
    INFO(format_timeline(*t));
    CHECK(t->state == task_state::complete);
    for (const auto& s : t->steps) {
        CHECK(s.attempts == 2);
        CHECK(s.result->at("attempt").template to_number<int>() == 2);
    }
    CHECK(calls == 4);
}
