// Templates in tasker-core's format (tests/data/tasker_core_templates, our own), each loaded
// in every environment and checked for what it means here; `detail::read_template_text`
// (the reading `load_template` validates) shows the values as written.
#include <tasker/model/detail/template_text.hpp>
#include <tasker/model/json_schema.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/retry/backoff.hpp>

#include "support/catch.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

const fs::path corpus_dir = fs::path(TASKER_TEST_DATA_DIR) / "tasker_core_templates";

std::string text_of(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

template_options in(std::string environment) { return template_options{.environment = std::move(environment)}; }

/// A corpus template that loads.
task_template load(const std::string& file, const template_options& options = {})
{
    auto t = load_template_file((corpus_dir / file).string(), options);
    INFO(file);
    REQUIRE(t);
    return *t;
}

/// A corpus template as read, with no problem in the reading.
task_template read(const std::string& file, const template_options& options = {})
{
    auto r = detail::read_template_text(text_of(corpus_dir / file), options);
    INFO(file);
    REQUIRE(r);
    CHECK(r->problems.empty());
    return r->tmpl;
}

const step_template& step(const task_template& t, std::string_view name)
{
    const auto i = t.step_index(name);
    REQUIRE(i);
    return t.steps[*i];
}

} // namespace

TEST_CASE("corpus: every template loads, in every environment", "[unit][templates][corpus]")
{
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(corpus_dir)) {
        if (entry.path().extension() != ".yaml")
            continue;
        ++files;
        INFO(entry.path().filename().string());
        for (const char* environment : {"", "test", "development", "staging", "production", "sandbox"}) {
            INFO("environment '" << environment << "'");
            auto t = load_template_file(entry.path().string(), in(environment));
            CHECK(t);
            if (!t)
                FAIL_CHECK(t.error().what());
        }
    }
    CHECK(files == 9);
}

TEST_CASE("corpus: the conditional approval shape", "[unit][templates][corpus]")
{
    CHECK(load("expense_approval.yaml").dynamic);

    const auto t = read("expense_approval.yaml");
    CHECK(t.key().to_string() == "finance_approvals/expense_approval@2.1.0");
    CHECK(t.metadata.at("author").as_string() == "Finance Platform");
    CHECK(t.metadata.at("documentation_url").is_null());
    CHECK(step(t, "choose_route").type == step_type::decision);
    CHECK(step(t, "settle_claim").type == step_type::deferred_convergence);
    CHECK(step(t, "settle_claim").dependencies ==
          std::vector<std::string>{"approve_quickly", "team_lead_review", "senior_review"});
    CHECK(step(t, "check_claim").handler.initialization.at("require_receipts").as_bool());
    CHECK(step(t, "check_claim").retry.base == 500ms);
    CHECK(t.input_schema.at("properties").at("amount").at("minimum").as_double() == 0.01);

    // ALL changes every step, key by key.
    const auto test = read("expense_approval.yaml", in("test"));
    for (const auto& s : test.steps) {
        INFO(s.name);
        CHECK(s.timeout == 5s);
        CHECK(s.retry.max_attempts == 1u);
    }
    CHECK(step(test, "check_claim").retry.base == 500ms); // kept
    CHECK(step(test, "check_claim").retry.max == 20000ms);
}

TEST_CASE("corpus: the batch CSV shape", "[unit][templates][corpus]")
{
    CHECK(load("inventory_batches.yaml").dynamic);

    const auto t = read("inventory_batches.yaml");
    CHECK(t.version.to_string() == "1.4.0");
    const auto& worker = step(t, "count_batch");
    CHECK(worker.type == step_type::batch_worker);
    REQUIRE(worker.batch);
    CHECK(*worker.batch == batch_config{.batch_size = 500,
                                        .parallelism = 8,
                                        .cursor_field = "line_number",
                                        .worker_template = "count_batch",
                                        .failure_strategy = batch_failure_strategy::isolate});
    CHECK(worker.lifecycle.max_steps_in_process == std::chrono::minutes(45));
    CHECK(worker.retry.backoff == backoff_kind::fibonacci);
    CHECK(step(t, "plan_batches").type == step_type::batchable);
    CHECK_FALSE(step(t, "plan_batches").batch);
    CHECK(step(t, "total_counts").dependencies == std::vector<std::string>{"count_batch"});
}

TEST_CASE("corpus: method dispatch and resolver hints are kept with the handler", "[unit][templates][corpus]")
{
    const auto t = load("handler_methods.yaml");
    CHECK(step(t, "validate_refund").handler.method == "validate");
    CHECK(step(t, "validate_refund").handler.resolver.empty());
    CHECK(step(t, "issue_refund").handler.method == "issue");
    CHECK(step(t, "issue_refund").handler.resolver == "explicit_mapping");
    CHECK(step(t, "notify_customer").handler.method.empty()); // the callable's default
    CHECK(step(t, "notify_customer").handler.resolver == "class_constant");
    CHECK(step(t, "close_ticket").handler.method.empty()); // method: ~
    for (const auto& s : t.steps)
        CHECK(s.handler.callable == "Billing::RefundHandler");

    const auto sandbox = load("handler_methods.yaml", in("sandbox"));
    CHECK(step(sandbox, "issue_refund").handler.method == "issue_in_sandbox");
    CHECK(step(sandbox, "issue_refund").handler.resolver == "explicit_mapping");
    CHECK(step(sandbox, "issue_refund").handler.initialization.at("gateway").as_string() == "sandbox");
    CHECK(step(sandbox, "validate_refund").handler.method == "validate");
}

TEST_CASE("corpus: environments, ALL, and ~ meaning no override", "[unit][templates][corpus]")
{
    const auto base = load("deploy_environments.yaml");
    CHECK(base.description == "Roll a release out to one region after another, with settings per environment");
    CHECK(base.loaded_from == "/srv/templates/deployments/release_rollout.yaml");
    const auto& build = step(base, "build_artifact");
    const auto& roll = step(base, "roll_out");

    // development: ALL is written after roll_out's own override, which still wins.
    const auto dev = load("deploy_environments.yaml", in("development"));
    CHECK(step(dev, "build_artifact").timeout == 60s);
    CHECK(step(dev, "roll_out").timeout == 120s);
    for (const auto& s : dev.steps) {
        INFO(s.name);
        CHECK(s.retry.max_attempts == 1u);
        CHECK(s.handler.initialization.at("dry_run").as_bool());
    }
    CHECK(step(dev, "build_artifact").retry.base == 2000ms); // kept: retry merges key by key
    CHECK(step(dev, "build_artifact").handler.initialization.at("cache").as_bool());
    CHECK(step(dev, "roll_out").handler.initialization.at("regions") == json::array{"local"});
    CHECK(step(dev, "roll_out").handler.initialization.at("canary_percent").as_int64() == 5);

    // staging: ~ and nothing at all change nothing.
    const auto staging = load("deploy_environments.yaml", in("staging"));
    CHECK(step(staging, "build_artifact").timeout == build.timeout);
    CHECK(step(staging, "build_artifact").retry == build.retry);
    CHECK(step(staging, "build_artifact").handler.initialization == build.handler.initialization);
    CHECK(step(staging, "roll_out").handler.callable == "deploy.roll_out_staging");
    CHECK(step(staging, "roll_out").handler.initialization.at("canary_percent").as_int64() == 50);
    CHECK(step(staging, "roll_out").timeout == roll.timeout);

    // production has no overrides; an environment with no value is none either.
    const auto production = load("deploy_environments.yaml", in("production"));
    CHECK(step(production, "roll_out").timeout == roll.timeout);
    CHECK(load("deploy_environments.yaml", in("empty_environment")).steps[1].timeout == roll.timeout);
}

TEST_CASE("corpus: every retry spelling, and what each backoff waits", "[unit][templates][corpus]")
{
    const auto t = load("retry_spellings.yaml");
    const auto policy = [&](std::string_view name) { return step(t, name).effective_retry; };
    CHECK(t.retry.base == 1500ms); // initial_delay: 1.5 seconds
    CHECK(t.retry.max == 30s);

    CHECK(policy("uses_limit").max_attempts == 5u);
    CHECK(policy("uses_seconds").base == 250ms);
    CHECK(policy("uses_seconds").max == 2s);
    CHECK(policy("uses_seconds").backoff == backoff_kind::linear);
    CHECK(policy("uses_seconds").max_attempts == 3u);

    CHECK(policy("no_delay").backoff == backoff_kind::none);
    CHECK(policy("no_delay").max_attempts == 4u); // from the template's retry
    CHECK(backoff_delay(policy("no_delay"), 3, std::nullopt, 0.5) == duration::zero());

    auto fib = policy("fibonacci_delays");
    fib.jitter = 0;
    CHECK(fib.base == 2s);
    CHECK(backoff_delay(fib, 4, std::nullopt, 0.5) == 6s);   // 2 s x fib(4) = 2 s x 3
    CHECK(backoff_delay(fib, 20, std::nullopt, 0.5) == 60s); // capped by max_delay

    CHECK(policy("fixed_delay").backoff == backoff_kind::constant);
    CHECK(policy("constant_delay").backoff == backoff_kind::constant);
    CHECK(policy("constant_delay").multiplier == 3.0);
    CHECK(policy("constant_delay").jitter == 0.0);
    CHECK_FALSE(policy("runs_once").retryable);
    CHECK(policy("runs_once").max_attempts == 0u);
}

TEST_CASE("corpus: lifecycle limits of the template and of a step", "[unit][templates][corpus]")
{
    const auto t = load("staleness_limits.yaml");
    CHECK(t.lifecycle.max_duration == std::chrono::minutes(240));
    CHECK(t.lifecycle.max_waiting_for_dependencies == std::chrono::minutes(30));
    CHECK(t.lifecycle.max_waiting_for_retry == std::chrono::minutes(20));
    CHECK(t.lifecycle.max_steps_in_process == std::chrono::minutes(60));
    CHECK(t.lifecycle.action == staleness_action::error);
    CHECK(step(t, "match_entries").lifecycle.max_steps_in_process == std::chrono::minutes(180));
    CHECK_FALSE(step(t, "fetch_statements").lifecycle.max_steps_in_process);
    // max_retries and backoff_multiplier are read past: retry settings are the retry block's.
    CHECK(step(t, "match_entries").effective_retry == step(t, "fetch_statements").effective_retry);
}

TEST_CASE("corpus: result_schema is compiled and checks a step's result", "[unit][templates][corpus]")
{
    const auto t = load("typed_results.yaml");
    const auto& price = step(t, "price_invoice");
    REQUIRE(price.compiled_result_schema);
    REQUIRE(step(t, "render_pdf").compiled_result_schema);
    CHECK_FALSE(step(t, "send_invoice").compiled_result_schema);
    CHECK(step(t, "render_pdf").dependencies == std::vector<std::string>{"price_invoice"});

    CHECK(check_result(price, parse_json(R"({"total": 12.5, "lines": [{"sku": "a", "amount": 12.5}]})").value()));
    auto bad = check_result(price, parse_json(R"({"total": -1, "currency": "GBP", "lines": [{"sku": 7}]})").value());
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::invalid_result);
    CHECK(bad.error().message ==
          "the result of step 'price_invoice' does not match its result_schema (4 violations): "
          "$.total: value -1 is less than the minimum 0; "
          "$.currency: value \"GBP\" is not one of [\"EUR\",\"USD\"]; "
          "$.lines[0].sku: expected string, got integer; "
          "$.lines[0].amount: required property 'amount' is missing");
    CHECK(bad.error().problems.size() == 4);
    // A step without result_schema takes any result.
    CHECK(check_result(step(t, "send_invoice"), json::value("anything")));

    // The input schema's pattern, format and enum.
    REQUIRE(t.schema);
    CHECK(t.schema->validate(parse_json(R"({"invoice_id": "inv_42", "customer": {"email": "a@b.example"},
                                            "due": "2024-02-29"})").value()));
    CHECK_FALSE(t.schema->validate(parse_json(R"({"invoice_id": "INV-42", "customer": {"email": "a@b"}})").value()));
    CHECK_FALSE(t.schema->validate(parse_json(R"({"invoice_id": "inv_1", "customer": {"email": "a@b", "tier": "gold"}})").value()));
    CHECK_FALSE(t.schema->validate(parse_json(R"({"invoice_id": "inv_1", "customer": {"email": "a"}, "due": "2024-02-30"})").value()));
}

TEST_CASE("corpus: keys for features this version does not have are read past", "[unit][templates][corpus]")
{
    const auto t = load("event_publishing.yaml");
    CHECK(t.steps.size() == 2);
    CHECK(step(t, "create_account").type == step_type::standard); // written as step_type
    CHECK(step(t, "welcome_mail").dependencies == std::vector<std::string>{"create_account"});
}

TEST_CASE("corpus: Ruby symbol keys read as the plain ones", "[unit][templates][corpus]")
{
    const auto t = load("ruby_symbol_keys.yaml");
    CHECK(t.key().to_string() == "ruby_dumps/symbol_keyed@1.0.0");
    CHECK(t.metadata.at(":author").as_string() == "Ruby"); // free-form values are kept as written
    CHECK(t.input_schema.is_null());
    CHECK(t.loaded_from == "/tmp/symbol_keyed.yaml");
    CHECK(step(t, "first_step").retry.max_attempts == 2u);
    CHECK(step(t, "first_step").timeout == 30s);
    CHECK(step(t, "second_step").dependencies == std::vector<std::string>{"first_step"});

    const auto test = load("ruby_symbol_keys.yaml", in("test"));
    CHECK(step(test, "first_step").handler.initialization.at("operation").as_string() == "cube");
    CHECK(step(test, "first_step").timeout == 30s);
}
