#include <tasker/model/task_template.hpp>

#include "support/catch.hpp"
#include "support/problems.hpp"

#include <filesystem>
#include <fstream>
#include <string>

using namespace tasker;
using test::find_problem;

TEST_CASE("template loader: reads tasker-core's format", "[unit][templates]")
{
    auto t = load_template(R"(
name: order_flow
namespace_name: shop
version: 1.2.3-beta.1
description: "An order"
task_handler: {callable: ignored}   # tasker-core key this version reads past
input_schema:
  type: object
  required: [id]
  properties:
    id: {type: integer, minimum: 1}
retry: {max_attempts: 5, backoff: linear}
lifecycle:
  max_duration_minutes: 60
  max_waiting_for_retry_minutes: 10
  staleness_action: error
steps:
  - name: validate
    handler:
      callable: shop.validate
      initialization: {tax: 0.08, region: "eu", code: "007", count: 3, strict: true, none: ~}
    timeout_seconds: 30
  - name: charge
    depends_on: [validate]
    handler: {callable: shop.charge}
    retry:
      retryable: true
      limit: 4
      backoff: fixed
      backoff_base_ms: 250
      max_backoff_ms: 1000
      jitter: 0
    publishes_events: [charged]
  - name: ship
    type: standard
    dependencies: [validate, charge]
    handler: {callable: shop.ship}
    retry: {retryable: false}
)");
    REQUIRE(t);
    CHECK(t->key().to_string() == "shop/order_flow@1.2.3-beta.1");
    CHECK(t->description == "An order");
    REQUIRE(t->steps.size() == 3);
    CHECK(t->steps[1].dependencies == std::vector<std::string>{"validate"});
    CHECK(t->steps[2].dependencies == std::vector<std::string>{"validate", "charge"});
    CHECK(t->steps[0].timeout == seconds(30));

    // YAML scalars become typed JSON; quoted ones stay strings.
    const auto& init = t->steps[0].handler.initialization.as_object();
    CHECK(init.at("tax").as_double() == 0.08);
    CHECK(init.at("region").as_string() == "eu");
    CHECK(init.at("code").as_string() == "007");
    CHECK(init.at("count").as_int64() == 3);
    CHECK(init.at("strict").as_bool());
    CHECK(init.at("none").is_null());

    // Step settings over task settings over the defaults.
    const auto& validate = t->steps[0].effective_retry;
    CHECK(validate.max_attempts == 5);
    CHECK(validate.backoff == backoff_kind::linear);
    CHECK(validate.base == retry_policy{}.base);
    const auto& charge = t->steps[1].effective_retry;
    CHECK(charge.max_attempts == 4);
    CHECK(charge.backoff == backoff_kind::constant);
    CHECK(charge.base == milliseconds(250));
    CHECK(charge.max == milliseconds(1000));
    CHECK(charge.jitter == 0.0);
    CHECK_FALSE(t->steps[2].effective_retry.retryable);
    CHECK(t->steps[2].effective_retry.max_attempts == 5);

    CHECK(t->lifecycle.max_duration == std::chrono::minutes(60));
    CHECK(t->lifecycle.max_waiting_for_retry == std::chrono::minutes(10));
    CHECK_FALSE(t->lifecycle.max_steps_in_process);
    CHECK(t->lifecycle.action == staleness_action::error);

    REQUIRE(t->schema);
    CHECK(t->schema->validate(json::object{{"id", 4}}));
    CHECK_FALSE(t->schema->validate(json::object{{"id", 0}}));
    CHECK(t->graph.levels().size() == 3);
}

TEST_CASE("template loader: syntax errors are malformed_yaml with line and column", "[unit][templates]")
{
    auto r = load_template("name: x\nsteps:\n  - name: a\n    handler: {callable: b\n");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::malformed_yaml);
    REQUIRE(r.error().problems.size() == 1);
    CHECK(r.error().problems[0].line == 5);
    CHECK_FALSE(r.error().problems[0].message.empty());

    auto tabs = load_template("name: x\n\tsteps: []\n");
    REQUIRE_FALSE(tabs);
    CHECK(tabs.error() == errc::malformed_yaml);
    CHECK(tabs.error().problems[0].line == 2);
}

TEST_CASE("template loader: every problem is reported, each with path, line and column", "[unit][templates]")
{
    auto r = load_template(R"(name: Bad-Name
namespace_name: shop
version: "1.0"
steps:
  - name: a
    handler: {callable: h.a}
    dependncies: [b]
  - name: b
    dependencies: [a, ghost]
    handler: {callable: h.b}
    retry: {max_attempts: -1, backoff: sideways, jitter: 2, backoff_multiplier: 0.5}
  - name: a
    handler: {callable: h.c}
    timeout_seconds: 0
  - name: d
    type: sideways
    handler: {callable: h.d}
)");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_template);
    const auto& e = r.error();

    const auto* name = find_problem(e, "name");
    REQUIRE(name);
    CHECK(name->line == 1);
    CHECK(name->column == 7);
    CHECK(name->message.find("template name 'Bad-Name' is invalid") == 0);

    const auto* version = find_problem(e, "version");
    REQUIRE(version);
    CHECK(version->line == 3);
    CHECK(version->message.find("bad version '1.0'") == 0);

    const auto* typo = find_problem(e, "steps[0].dependncies");
    REQUIRE(typo);
    CHECK(typo->line == 7);
    CHECK(typo->column == 5);
    CHECK(typo->message == "unknown key 'dependncies' in step (did you mean 'dependencies'?)");

    const auto* ghost = find_problem(e, "steps[1].dependencies[1]");
    REQUIRE(ghost);
    CHECK(ghost->line == 9);
    CHECK(ghost->column == 23);
    CHECK(ghost->message == "step 'b' depends on unknown step 'ghost'");

    const auto* attempts = find_problem(e, "steps[1].retry.max_attempts");
    REQUIRE(attempts);
    CHECK(attempts->line == 11);
    CHECK(attempts->message == "must be between 0 and 1000000, got -1");
    REQUIRE(find_problem(e, "steps[1].retry.backoff"));
    CHECK(find_problem(e, "steps[1].retry.backoff")->message.find("unknown backoff 'sideways'") == 0);
    REQUIRE(find_problem(e, "steps[1].retry.jitter"));
    CHECK(find_problem(e, "steps[1].retry.jitter")->line == 11);
    CHECK(find_problem(e, "steps[1].retry.jitter")->column == 58);
    CHECK(find_problem(e, "steps[1].retry.jitter")->message == "must be between 0 and 1, got 2");
    REQUIRE(find_problem(e, "steps[1].retry.backoff_multiplier"));

    const auto* duplicate = find_problem(e, "steps[2].name");
    REQUIRE(duplicate);
    CHECK(duplicate->line == 12);
    CHECK(duplicate->message == "duplicate step 'a' (first defined at steps[0])");

    const auto* timeout = find_problem(e, "steps[2].timeout_seconds");
    REQUIRE(timeout);
    CHECK(timeout->line == 14);

    const auto* type = find_problem(e, "steps[3].type");
    REQUIRE(type);
    CHECK(type->message.find("unknown step type 'sideways'") == 0);

    CHECK(e.problems.size() == 11);
    CHECK(e.message == "template 'shop/Bad-Name@0.0.0' has 11 problems");
    for (const auto& p : e.problems)
        CHECK(p.line > 0);
    // Sorted by position in the file.
    for (std::size_t i = 1; i < e.problems.size(); ++i)
        CHECK(e.problems[i - 1].line <= e.problems[i].line);
}

TEST_CASE("template loader: a cycle is reported with its path", "[unit][templates]")
{
    auto r = load_template(R"(
name: loop
namespace_name: shop
version: 1.0.0
steps:
  - {name: a, depends_on: [c], handler: {callable: h}}
  - {name: b, depends_on: [a], handler: {callable: h}}
  - {name: c, depends_on: [b], handler: {callable: h}}
  - {name: d, handler: {callable: h}}
)");
    REQUIRE_FALSE(r);
    REQUIRE(r.error().problems.size() == 1);
    CHECK(r.error().problems[0].message == "dependency cycle: a -> b -> c -> a");
    CHECK(r.error().problems[0].line == 6);
}

TEST_CASE("template loader: missing keys, wrong shapes and misplaced values", "[unit][templates]")
{
    auto empty = load_template("");
    REQUIRE_FALSE(empty);
    CHECK(empty.error() == errc::invalid_template);

    auto list = load_template("- a\n- b\n");
    REQUIRE_FALSE(list);
    CHECK(list.error().problems[0].message.find("must be a YAML mapping") != std::string::npos);

    auto missing = load_template("description: nothing else\n");
    REQUIRE_FALSE(missing);
    std::vector<std::string> where;
    for (const auto& p : missing.error().problems)
        where.push_back(p.path);
    CHECK(where == std::vector<std::string>{"name", "namespace_name", "version", "steps"});

    auto shapes = load_template(R"(
name: shapes
namespace_name: shop
version: 1.0.0
retry: [1, 2]
steps:
  - name: a
    handler: {callable: h, initialization: [1]}
    dependencies: a
    timeout_seconds: soon
  - just a string
)");
    REQUIRE_FALSE(shapes);
    const auto& e = shapes.error();
    REQUIRE(find_problem(e, "retry"));
    CHECK(find_problem(e, "retry")->message == "retry must be a mapping");
    REQUIRE(find_problem(e, "steps[0].dependencies"));
    CHECK(find_problem(e, "steps[0].dependencies")->message == "must be a list of step names");
    REQUIRE(find_problem(e, "steps[0].timeout_seconds"));
    CHECK(find_problem(e, "steps[0].timeout_seconds")->message == "must be an integer, got 'soon'");
    REQUIRE(find_problem(e, "steps[0].handler.initialization"));
    REQUIRE(find_problem(e, "steps[1]"));
    CHECK(find_problem(e, "steps[1]")->message == "a step must be a mapping");
}

TEST_CASE("template loader: environment overrides apply only to the selected environment", "[unit][templates]")
{
    const std::string_view yaml = R"(
name: envs
namespace_name: shop
version: 1.0.0
steps:
  - name: fetch
    handler:
      callable: shop.fetch
      initialization: {url: "https://prod", timeout_ms: 500}
    retry: {max_attempts: 5}
    timeout_seconds: 60
environments:
  test:
    steps:
      - name: fetch
        handler: {initialization: {url: "http://localhost"}}
        retry: {max_attempts: 1}
        timeout_seconds: 5
  staging:
    steps:
      - name: fetch
        handler: {callable: shop.fetch_staging}
)";
    auto prod = load_template(yaml);
    REQUIRE(prod);
    CHECK(prod->steps[0].handler.initialization.at("url").as_string() == "https://prod");
    CHECK(prod->steps[0].effective_retry.max_attempts == 5);

    template_options options;
    options.environment = "test";
    auto test = load_template(yaml, options);
    REQUIRE(test);
    CHECK(test->steps[0].handler.callable == "shop.fetch");
    CHECK(test->steps[0].handler.initialization.at("url").as_string() == "http://localhost");
    CHECK(test->steps[0].handler.initialization.at("timeout_ms").as_int64() == 500); // merged, not replaced
    CHECK(test->steps[0].effective_retry.max_attempts == 1);
    CHECK(test->steps[0].timeout == seconds(5));

    options.environment = "staging";
    CHECK(load_template(yaml, options)->steps[0].handler.callable == "shop.fetch_staging");

    auto unknown = load_template(std::string(yaml) + "  dev:\n    steps:\n      - name: nope\n");
    REQUIRE_FALSE(unknown);
    REQUIRE(find_problem(unknown.error(), "environments.dev.steps[0].name"));
    CHECK(find_problem(unknown.error(), "environments.dev.steps[0].name")->message ==
          "override names unknown step 'nope'");
}

TEST_CASE("template loader: input_schema problems are located inside the schema", "[unit][templates]")
{
    auto r = load_template(R"(
name: schema
namespace_name: shop
version: 1.0.0
input_schema:
  type: object
  properties:
    id: {type: integr}
steps:
  - {name: a, handler: {callable: h}}
)");
    REQUIRE_FALSE(r);
    REQUIRE(r.error().problems.size() == 1);
    CHECK(r.error().problems[0].path == "input_schema.properties.id.type");
    CHECK(r.error().problems[0].line == 8);
    CHECK(r.error().problems[0].column == 16);
}

TEST_CASE("template loader: files", "[unit][templates]")
{
    auto missing = load_template_file("/nonexistent/flow.yaml");
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::template_not_found);
    CHECK(missing.error().message.find("/nonexistent/flow.yaml") != std::string::npos);

    const auto path = std::filesystem::temp_directory_path() / "tasker_loader_test.yaml";
    std::ofstream(path) << "name: f\nnamespace_name: shop\nversion: 1.0.0\nsteps: []\n";
    auto bad = load_template_file(path.string());
    std::filesystem::remove(path);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find(path.string() + ": template 'shop/f@1.0.0' has 1 problem") == 0);
}

TEST_CASE("template loader: identity_strategy, and the default when it is not given", "[unit][templates]")
{
    const auto with = [](std::string_view line) {
        return "name: t\nnamespace_name: ns\nversion: 1.0.0\n" + std::string(line) +
               "steps:\n  - {name: a, handler: {callable: h}}\n";
    };
    auto strict = load_template(with("identity_strategy: strict\n"));
    REQUIRE(strict);
    CHECK(strict->identity == identity_strategy::strict);
    auto caller = load_template(with("identity_strategy: caller_provided\n"));
    REQUIRE(caller);
    CHECK(caller->identity == identity_strategy::caller_provided);
    auto unique = load_template(with(":identity_strategy: always_unique\n")); // a Ruby symbol key
    REQUIRE(unique);
    CHECK(unique->identity == identity_strategy::always_unique);
    auto unset = load_template(with(""));
    REQUIRE(unset);
    CHECK_FALSE(unset->identity);
    auto no_value = load_template(with("identity_strategy: ~\n"));
    REQUIRE(no_value);
    CHECK_FALSE(no_value->identity);

    for (auto s : {identity_strategy::strict, identity_strategy::caller_provided, identity_strategy::always_unique})
        CHECK(identity_strategy_from_string(to_string(s)) == s);
    CHECK_FALSE(identity_strategy_from_string("Strict"));
}
