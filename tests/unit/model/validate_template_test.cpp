// validate_template on templates built in C++ (the loader's own problems are tested with it).
#include <tasker/model/task_template.hpp>

#include "support/catch.hpp"

#include <algorithm>

#include <string>

using namespace tasker;

namespace {

task_template two_steps()
{
    task_template t;
    t.name = "flow";
    t.namespace_name = "tests";
    t.version = semver{2, 0, 0, {}, {}};
    step_template a;
    a.name = "a";
    a.handler.callable = "h.a";
    step_template b = a;
    b.name = "b";
    b.dependencies = {"a"};
    t.steps = {a, b};
    return t;
}

std::vector<std::string> paths(const error& e)
{
    std::vector<std::string> out;
    for (const auto& p : e.problems)
        out.push_back(p.path);
    return out;
}

} // namespace

TEST_CASE("validate_template: a valid template gets its graph and effective retry", "[unit][templates]")
{
    auto t = two_steps();
    t.retry.max_attempts = 7;
    t.steps[1].retry.base = milliseconds(20);
    template_options options;
    options.retry_defaults.jitter = 0.0;
    options.retry_defaults.max = milliseconds(9000);
    auto v = validate_template(t, options);
    REQUIRE(v);
    CHECK(v->graph.size() == 2);
    CHECK(v->step_index("b") == 1u);
    CHECK_FALSE(v->step_index("zzz"));
    CHECK(v->steps[0].effective_retry.max_attempts == 7);
    CHECK(v->steps[0].effective_retry.base == retry_policy{}.base);
    CHECK(v->steps[1].effective_retry.base == milliseconds(20));
    CHECK(v->steps[1].effective_retry.jitter == 0.0);
    CHECK(v->steps[1].effective_retry.max == milliseconds(9000));
    CHECK_FALSE(v->schema);
}

TEST_CASE("validate_template: retry boundaries", "[unit][templates]")
{
    auto check_retry = [](retry_settings r) {
        auto t = two_steps();
        t.steps[0].retry = r;
        return validate_template(t);
    };
    CHECK(check_retry({.max_attempts = 0u}));  // legal: behaves like 1
    CHECK(check_retry({.max_attempts = 1u}));
    CHECK(check_retry({.base = milliseconds(0), .max = milliseconds(0)}));
    CHECK(check_retry({.multiplier = 1.0, .jitter = 0.0}));
    CHECK(check_retry({.jitter = 1.0}));
    CHECK(check_retry({.base = milliseconds(500), .max = milliseconds(500)}));

    auto bad = check_retry({.base = milliseconds(-1), .multiplier = 0.99, .max = milliseconds(-5), .jitter = 1.01});
    REQUIRE_FALSE(bad);
    CHECK(paths(bad.error()) == std::vector<std::string>{"steps[0].retry.backoff_base_ms", "steps[0].retry.max_backoff_ms",
                                                         "steps[0].retry.backoff_multiplier", "steps[0].retry.jitter"});
    auto inverted = check_retry({.base = milliseconds(2000), .max = milliseconds(1000)});
    REQUIRE_FALSE(inverted);
    CHECK(inverted.error().problems[0].message == "the cap on delays, 1000 ms, is below the first delay, 2000 ms");
    CHECK_FALSE(check_retry({.jitter = -0.1}));

    // A step base above the cap it inherits from the task level.
    auto t = two_steps();
    t.retry.max = milliseconds(100);
    t.steps[1].retry.base = milliseconds(200);
    auto inherited = validate_template(t);
    REQUIRE_FALSE(inherited);
    CHECK(paths(inherited.error()) == std::vector<std::string>{"steps[1].retry"});
}

TEST_CASE("validate_template: names, handlers, timeouts and lifecycle", "[unit][templates]")
{
    auto t = two_steps();
    t.namespace_name = "Shop; DROP TABLE";
    t.name = "";
    t.steps[0].name = "A b";
    t.steps[0].handler.callable = "";
    t.steps[0].timeout = seconds(0);
    t.steps[1].handler.initialization = json::array{1};
    t.lifecycle.max_duration = std::chrono::minutes(0);
    auto r = validate_template(t);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_template);
    CHECK(paths(r.error()) == std::vector<std::string>{
                                  "namespace_name", "name", "lifecycle.max_duration_minutes", "steps[0].name",
                                  "steps[0].handler.callable", "steps[0].timeout_seconds", "steps[1].handler.initialization",
                                  "steps[1].dependencies[0]"});
    CHECK(r.error().problems[0].message.find("namespace name 'Shop; DROP TABLE' is invalid") == 0);
    CHECK(r.error().message == "template has 8 problems");

    auto none = two_steps();
    none.steps.clear();
    auto empty = validate_template(none);
    REQUIRE_FALSE(empty);
    CHECK(paths(empty.error()) == std::vector<std::string>{"steps"});

    auto long_name = two_steps();
    long_name.steps[0].name = std::string(65, 'a');
    long_name.steps[1].dependencies = {long_name.steps[0].name};
    auto too_long = validate_template(long_name);
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().problems[0].message.find("65 characters long, the limit is 64") != std::string::npos);
}

TEST_CASE("validate_template: input_schema problems are prefixed with input_schema", "[unit][templates]")
{
    auto t = two_steps();
    t.input_schema = parse_json(R"({"type": "object", "patternProperties": 3})").value();
    auto r = validate_template(t);
    REQUIRE_FALSE(r);
    CHECK(paths(r.error()) == std::vector<std::string>{"input_schema.patternProperties"});

    t.input_schema = json::value(5);
    r = validate_template(t);
    REQUIRE_FALSE(r);
    CHECK(paths(r.error()) == std::vector<std::string>{"input_schema"});

    t.input_schema = parse_json(R"({"type": "object", "required": ["n"]})").value();
    auto ok = validate_template(t);
    REQUIRE(ok);
    REQUIRE(ok->schema);
    CHECK_FALSE(ok->schema->validate(json::object{}));
}

TEST_CASE("validate_template: result_schema compiled per step, its problems located", "[unit][templates]")
{
    auto t = two_steps();
    t.steps[1].result_schema = parse_json(R"({"type": "object", "required": ["id"]})").value();
    auto ok = validate_template(t);
    REQUIRE(ok);
    CHECK_FALSE(ok->steps[0].compiled_result_schema);
    REQUIRE(ok->steps[1].compiled_result_schema);
    CHECK(check_result(ok->steps[1], json::object{{"id", 1}}));
    auto missing = check_result(ok->steps[1], json::object{});
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::invalid_result);
    CHECK(missing.error().problems[0].path == "$.id");

    t.steps[1].result_schema = parse_json(R"({"properties": {"id": {"type": "uuid"}}})").value();
    auto bad = validate_template(t);
    REQUIRE_FALSE(bad);
    CHECK(paths(bad.error()) == std::vector<std::string>{"steps[1].result_schema.properties.id.type"});
}

TEST_CASE("validate_template: batch_config of steps built in C++", "[unit][templates]")
{
    auto t = two_steps();
    t.steps[0].type = step_type::batchable;
    t.steps[1].type = step_type::batch_worker;
    t.steps[0].batch = batch_config{.batch_size = 100, .parallelism = 4, .cursor_field = "id", .worker_template = "b"};
    auto r = validate_template(t);
    REQUIRE(r); // a sound batch_config on a batchable step with its worker
    REQUIRE(r->dynamic);

    t.steps[0].batch->worker_template = "a";
    t.steps[0].batch->cursor_field.clear();
    t.steps[1].type = step_type::standard;
    t.steps[1].batch = batch_config{.batch_size = 1, .parallelism = 1, .cursor_field = "id", .worker_template = "b"};
    r = validate_template(t);
    REQUIRE_FALSE(r);
    // steps[0].type: a batchable step with no batch worker below it.
    auto got = paths(r.error());
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<std::string>{"steps[0].batch_config.cursor_field", "steps[0].batch_config.worker_template",
                                          "steps[0].type", "steps[1].batch_config",
                                          "steps[1].batch_config.worker_template"});
    CHECK(to_string(batch_failure_strategy::continue_on_failure) == "continue_on_failure");
    CHECK(batch_failure_strategy_from_string("isolate") == batch_failure_strategy::isolate);
    CHECK_FALSE(batch_failure_strategy_from_string("halt"));
}

TEST_CASE("step types and template keys print as written", "[unit][templates]")
{
    CHECK(to_string(step_type::deferred_convergence) == "deferred_convergence");
    CHECK(step_type_from_string("batch_worker") == step_type::batch_worker);
    CHECK_FALSE(step_type_from_string("Standard"));
    CHECK(template_key{"ns", "wf", semver{1, 2, 3, "rc.1", {}}}.to_string() == "ns/wf@1.2.3-rc.1");
    CHECK(template_ref{"ns", "wf", std::nullopt}.to_string() == "ns/wf@latest");
}
