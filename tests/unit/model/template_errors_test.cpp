// Bad input in tasker-core's template format: each kind gets a specific error at its path,
// line and column, and every problem of a template is reported at once.
#include <tasker/model/names.hpp>
#include <tasker/model/task_template.hpp>

#include "support/catch.hpp"
#include "support/problems.hpp"

#include <string>

using namespace tasker;
using test::find_problem;

namespace {

/// The one problem at `path` of a template that does not load: its message, checked to be
/// located at `line`.
std::string problem_at(const result<task_template>& r, std::string_view path, int line)
{
    REQUIRE_FALSE(r);
    const auto e = r.error(); // a copy: result::error() returns by value
    CHECK(e == errc::invalid_template);
    const auto* p = find_problem(e, path);
    INFO(e);
    REQUIRE(p);
    CHECK(p->line == line);
    CHECK(p->column > 0);
    return p->message;
}

/// A one-step template around a step body (lines from line 6 on).
std::string with_step(std::string_view body)
{
    return "name: t\nnamespace_name: ns\nversion: 1.0.0\nsteps:\n  - name: a\n" + std::string(body);
}

} // namespace

TEST_CASE("template errors: both spellings of one setting name both keys", "[unit][templates]")
{
    auto r = load_template(with_step(R"(    handler: {callable: h}
    retry:
      backoff_base_ms: 500
      initial_delay: 2
      max_delay: 10
      max_backoff_ms: 9000
      max_attempts: 2
      limit: 3
)"));
    CHECK(problem_at(r, "steps[0].retry.initial_delay", 9) ==
          "'initial_delay' and 'backoff_base_ms' both set the delay after the first failure; write one of them");
    CHECK(problem_at(r, "steps[0].retry.max_backoff_ms", 11) ==
          "'max_backoff_ms' and 'max_delay' both set the cap on delays; write one of them");
    CHECK(problem_at(r, "steps[0].retry.limit", 13) ==
          "'limit' and 'max_attempts' both set the number of attempts; write one of them");
    CHECK(r.error().problems.size() == 3);

    auto aliases = load_template(with_step(R"(    handler: {callable: h}
    type: standard
    step_type: standard
    dependencies: []
    depends_on: []
)"));
    CHECK(problem_at(aliases, "steps[0].step_type", 8) == "the step type is given twice (step_type is an alias of type)");
    CHECK(problem_at(aliases, "steps[0].depends_on", 10) ==
          "dependencies are given twice (depends_on is an alias of dependencies)");
}

TEST_CASE("template errors: wrong types and unknown values", "[unit][templates]")
{
    auto r = load_template(with_step(R"(    handler: {callable: h, method: [validate], resolver: {name: x}}
    retry: {backoff: quadratic, initial_delay: soon, max_delay: -4}
    type: fan_out
    lifecycle: {max_steps_in_process_minutes: later, max_retries: 3}
    result_schema: {type: objekt}
)"));
    CHECK(problem_at(r, "steps[0].handler.method", 6) == "must be a string");
    CHECK(problem_at(r, "steps[0].handler.resolver", 6) == "must be a string");
    CHECK(problem_at(r, "steps[0].retry.backoff", 7) ==
          "unknown backoff 'quadratic' (expected exponential, linear, fibonacci, constant, fixed or none)");
    CHECK(problem_at(r, "steps[0].retry.initial_delay", 7) == "must be a number, got 'soon'");
    CHECK(problem_at(r, "steps[0].retry.max_delay", 7) == "must not be negative, got -4");
    CHECK(problem_at(r, "steps[0].type", 8).find("unknown step type 'fan_out'") == 0);
    CHECK(problem_at(r, "steps[0].lifecycle.max_steps_in_process_minutes", 9) == "must be an integer, got 'later'");
    CHECK(problem_at(r, "steps[0].result_schema.type", 10).find("unknown type \"objekt\"") == 0);
}

TEST_CASE("template errors: batch_config values, keys and its worker_template", "[unit][templates]")
{
    const auto yaml = R"(name: batches
namespace_name: ns
version: 1.0.0
steps:
  - name: plan
    type: batchable
    handler: {callable: plan}
    batch_config: {batch_size: 0, parallelism: many, cursor_field: id, worker_template: plan, failure_strategy: retry_later}
  - name: work
    type: batch_worker
    dependencies: [plan]
    handler: {callable: work}
    batch_config: {batch_size: 200000, parallelism: 1001, worker_template: nowhere}
  - name: plain
    handler: {callable: plain}
    batch_config: {batch_size: 10, parallelism: 2, cursor_field: id, worker_template: work}
)";
    auto r = load_template(yaml);
    CHECK(problem_at(r, "steps[0].batch_config.batch_size", 8) == "must be between 1 and 100000, got 0");
    CHECK(problem_at(r, "steps[0].batch_config.parallelism", 8) == "must be an integer, got 'many'");
    CHECK(problem_at(r, "steps[0].batch_config.worker_template", 8) ==
          "worker_template 'plan' is a batchable step; it must be a batch_worker step");
    CHECK(problem_at(r, "steps[0].batch_config.failure_strategy", 8) ==
          "unknown failure_strategy 'retry_later' (expected fail_fast, continue_on_failure or isolate)");
    CHECK(problem_at(r, "steps[1].batch_config.batch_size", 13) == "must be between 1 and 100000, got 200000");
    CHECK(problem_at(r, "steps[1].batch_config.parallelism", 13) == "must be between 1 and 1000, got 1001");
    CHECK(problem_at(r, "steps[1].batch_config.cursor_field", 13) == "batch_config needs 'cursor_field'");
    CHECK(problem_at(r, "steps[1].batch_config.worker_template", 13) ==
          "worker_template 'nowhere' names no step of this template");
    CHECK(problem_at(r, "steps[2].batch_config", 16) ==
          "batch_config applies to batchable and batch_worker steps; step 'plain' is standard");
    CHECK(r.error().problems.size() == 9);
}

TEST_CASE("template errors: names too long for their queue, template and step names", "[unit][templates]")
{
    const std::string ns(max_namespace_length + 1, 'n');
    auto r = load_template("name: " + std::string(65, 't') + "\nnamespace_name: " + ns +
                           "\nversion: 1.0.0\nsteps:\n  - name: " + std::string(65, 's') + "\n    handler: {callable: h}\n");
    CHECK(problem_at(r, "namespace_name", 2) ==
          "namespace name '" + ns +
              "' is invalid: it is 41 characters long, the limit is 40 (its workers' queue 'worker_<namespace>' "
              "must fit the 47 characters pgmq allows a queue name)");
    CHECK(problem_at(r, "name", 1).find("it is 65 characters long, the limit is 64") != std::string::npos);
    CHECK(problem_at(r, "steps[0].name", 5).find("step name") == 0);

    // The longest namespace loads: its worker queue is the longest name pgmq takes.
    CHECK(load_template("name: t\nnamespace_name: " + std::string(max_namespace_length, 'n') +
                        "\nversion: 1.0.0\nsteps:\n  - name: a\n    handler: {callable: h}\n"));

    // A template built in C++ is refused by validation the same way.
    task_template t;
    t.name = "t";
    t.namespace_name = ns;
    t.version = semver{1, 0, 0, {}, {}};
    t.steps.push_back(step_template{.name = "a", .handler = {.callable = "h"}});
    auto v = validate_template(t);
    REQUIRE_FALSE(v);
    CHECK(v.error().problems[0].path == "namespace_name");
    CHECK(v.error().problems[0].message.find("pgmq allows a queue name") != std::string::npos);
}

TEST_CASE("template errors: environment overrides are checked whether selected or not", "[unit][templates]")
{
    auto r = load_template(with_step(R"(    handler: {callable: h}
environments:
  test:
    steps:
      - name: ALL
        retry: {initial_delay: 1, backoff_base_ms: 1000}
      - name: ghost
        timeout_seconds: 3
      - name: a
        handler: {initialization: [1, 2]}
      - timeout_seconds: 3
)"));
    CHECK(problem_at(r, "environments.test.steps[0].retry.backoff_base_ms", 11) ==
          "'backoff_base_ms' and 'initial_delay' both set the delay after the first failure; write one of them");
    CHECK(problem_at(r, "environments.test.steps[1].name", 12) == "override names unknown step 'ghost'");
    CHECK(problem_at(r, "environments.test.steps[2].handler.initialization", 15) ==
          "must be a mapping of configuration values");
    CHECK(problem_at(r, "environments.test.steps[3]", 16) ==
          "a step override needs the name of the step it changes (or ALL)");
}

TEST_CASE("template errors: a required key with no value, limits out of range", "[unit][templates]")
{
    auto r = load_template(R"(name: t
namespace_name: ns
version: ~
steps:
  - name: a
    handler: {callable: h}
    lifecycle: {max_steps_in_process_minutes: 0}
    retry: {initial_delay: 5, max_delay: 1}
)");
    CHECK(problem_at(r, "version", 3) == "required key 'version' has no value");
    CHECK(problem_at(r, "steps[0].lifecycle.max_steps_in_process_minutes", 7) ==
          "must be a positive number of minutes, got 0");
    // The cap below the first delay, located at the key written (max_delay).
    CHECK(problem_at(r, "steps[0].retry.max_backoff_ms", 8) ==
          "the cap on delays, 1000 ms, is below the first delay, 5000 ms");
}

TEST_CASE("template errors: an unknown or mistyped identity_strategy", "[unit][templates]")
{
    const auto with = [](std::string_view line) {
        return "name: t\nnamespace_name: ns\nversion: 1.0.0\nsteps:\n  - {name: a, handler: {callable: h}}\n" +
               std::string(line);
    };
    auto unknown = load_template(with("identity_strategy: by_context\n"));
    CHECK(problem_at(unknown, "identity_strategy", 6) ==
          "unknown identity_strategy 'by_context' (expected strict, caller_provided or always_unique)");
    CHECK(unknown.error().problems.size() == 1);
    auto list = load_template(with("identity_strategy: [strict]\n"));
    CHECK(problem_at(list, "identity_strategy", 6) == "must be a string");
    auto misspelled = load_template(with("identity_stratgy: strict\n"));
    CHECK(problem_at(misspelled, "identity_stratgy", 6).find("unknown key 'identity_stratgy'") == 0);
}
