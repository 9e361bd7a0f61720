// tasker-demo: runs every example workflow on the embedded in-memory runtime (no server),
// prints each task's timeline and a summary, and exits non-zero if any task missed its
// expected end state or produced a wrong result.
#include "handlers/approval_handlers.hpp"
#include "handlers/csv_handlers.hpp"
#include "handlers/math_handlers.hpp"
#include "handlers/order_handlers.hpp"

#include <tasker/inmemory/runtime.hpp>
#include <tasker/spdlog_logger.hpp>
#include <tasker/store/timeline.hpp>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <unistd.h>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct demo_case {
    std::string title;
    std::string template_name;
    tasker::json::value context;
    tasker::task_state expected;
    /// Checks the finished task beyond its state; returns what is wrong, or "".
    std::function<std::string(const tasker::task_view&)> check;
};

std::string check_math(const tasker::task_view& t, std::int64_t even_number)
{
    const auto expected = examples::expected_math_results(*t.tmpl, even_number);
    for (const auto& s : t.steps) {
        if (!s.result || !s.result->is_object())
            return "step " + s.name + " has no result";
        const auto got = s.result->at("value").to_number<std::int64_t>();
        if (got != expected.at(s.name))
            return fmt::format("step {} computed {}, expected {}", s.name, got, expected.at(s.name));
    }
    return {};
}

std::string check_approval(const tasker::task_view& t, double amount)
{
    std::vector<std::string> expected{"validate_request", "routing_decision"};
    for (auto& s : examples::expected_approvals(amount))
        expected.push_back(s);
    expected.push_back("finalize_approval");
    std::vector<std::string> got;
    for (const auto& s : t.steps)
        got.push_back(s.name);
    if (got != expected)
        return fmt::format("created steps {}, expected {}", fmt::join(got, ","), fmt::join(expected, ","));
    const auto* fin = t.step("finalize_approval");
    if (fin->attempts != 1 || fin->result->at("approvals").as_array().size() != expected.size() - 3)
        return "finalize_approval did not run once on every approval";
    return {};
}

std::string check_csv(const tasker::task_view& t, const examples::inventory_file& file)
{
    const auto* total = t.step("aggregate_csv_results");
    if (total->attempts != 1)
        return "aggregate_csv_results ran " + std::to_string(total->attempts) + " times";
    const auto& r = total->result->as_object();
    if (r.at("rows").to_number<std::int64_t>() != file.rows ||
        r.at("total_value_cents").to_number<std::int64_t>() != file.total_value_cents)
        return fmt::format("aggregated {} rows worth {}, expected {} worth {}", tasker::json::serialize(r.at("rows")),
                           tasker::json::serialize(r.at("total_value_cents")), file.rows, file.total_value_cents);
    const auto* crashed = t.step("process_csv_batch_007");
    if (!crashed || crashed->attempts != 2)
        return "batch 007 should have run twice (killed once)";
    const auto resumed = crashed->result->at("resumed_from").to_number<std::int64_t>();
    if (resumed != 3000 + 300)
        return "batch 007 resumed from row " + std::to_string(resumed) + ", not from its checkpoint at 3300";
    return {};
}

std::vector<demo_case> cases(const std::string& csv_path, const examples::inventory_file& csv)
{
    std::vector<demo_case> out;
    for (const char* name : {"linear_workflow", "diamond_workflow", "tree_workflow", "mixed_dag_workflow"})
        out.push_back({name, name, tasker::json::object{{"even_number", 6}}, tasker::task_state::complete,
                       [](const tasker::task_view& t) { return check_math(t, 6); }});
    out.push_back({"order_fulfillment (flaky payment gateway)", "order_fulfillment", examples::sample_order(),
                   tasker::task_state::complete, [](const tasker::task_view& t) -> std::string {
                       const auto* pay = t.step("process_payment");
                       if (pay->attempts != 3)
                           return fmt::format("process_payment took {} attempts, expected 3", pay->attempts);
                       if (!t.step("ship_order")->result)
                           return "ship_order has no result";
                       return {};
                   }});
    out.push_back({"order_fulfillment (card declined)", "order_fulfillment", examples::sample_order("tok_declined"),
                   tasker::task_state::error, [](const tasker::task_view& t) -> std::string {
                       const auto* pay = t.step("process_payment");
                       if (pay->state != tasker::step_state::error || pay->attempts != 1)
                           return "process_payment should fail once, permanently";
                       if (t.step("ship_order")->state != tasker::step_state::pending)
                           return "ship_order must not run after a failed payment";
                       return {};
                   }});
    for (double amount : {250.0, 2500.0, 25000.0})
        out.push_back({fmt::format("conditional_approval ({:.0f})", amount), "conditional_approval",
                       tasker::json::object{{"amount", amount}, {"requester", "ada"}}, tasker::task_state::complete,
                       [amount](const tasker::task_view& t) { return check_approval(t, amount); }});
    out.push_back({"csv_batch_processing (10 000 rows, a worker killed)", "csv_batch_processing",
                   tasker::json::object{{"path", csv_path}, {"crash_batch", "007"}}, tasker::task_state::complete,
                   [csv](const tasker::task_view& t) { return check_csv(t, csv); }});
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Runs tasker's example workflows on the embedded in-memory backend."};
    std::string templates_dir = TASKER_EXAMPLES_DIR "/templates";
    std::string only;
    bool verbose = false;
    app.add_option("--templates", templates_dir, "Directory holding the example YAML templates");
    app.add_option("--only", only, "Run only the cases whose template has this name");
    app.add_flag("-v,--verbose", verbose, "Log engine events (info level)");
    CLI11_PARSE(app, argc, argv);

    spdlog::set_pattern("%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_level(verbose ? spdlog::level::info : spdlog::level::warn);

    tasker::inmemory::runtime_options options;
    options.log = tasker::make_spdlog_logger();
    options.worker.concurrency = 8;
    tasker::inmemory::runtime rt(options);
    examples::register_math_handlers(rt.handlers());
    examples::register_order_handlers(rt.handlers());
    examples::register_approval_handlers(rt.handlers());
    examples::register_csv_handlers(rt.handlers());
    for (const char* file : {"linear_workflow", "diamond_workflow", "tree_workflow", "mixed_dag_workflow",
                             "order_fulfillment", "conditional_approval", "csv_batch_processing"}) {
        auto t = rt.load_template_file(templates_dir + "/" + file + ".yaml");
        if (!t) {
            std::cerr << "cannot load " << file << ": " << t.error() << "\n";
            return 2;
        }
    }
    if (auto ok = rt.start(); !ok) {
        std::cerr << "cannot start: " << ok.error() << "\n";
        return 2;
    }

    // The batch example's input: a CSV file it generates, removed at the end.
    const auto csv_path =
        (std::filesystem::temp_directory_path() / ("tasker-demo-inventory-" + std::to_string(::getpid()) + ".csv"))
            .string();
    const auto csv = examples::write_inventory_csv(csv_path, 10'000);

    // Submit everything first: the tasks run side by side.
    auto all = cases(csv_path, csv);
    std::vector<std::pair<demo_case*, tasker::task_id>> submitted;
    for (auto& c : all) {
        if (!only.empty() && c.template_name != only)
            continue;
        auto created = rt.submit({{"examples", c.template_name, std::nullopt}, c.context, {}, {}});
        if (!created) {
            std::cerr << "cannot submit " << c.title << ": " << created.error() << "\n";
            return 2;
        }
        submitted.emplace_back(&c, created->id);
    }

    int failures = 0;
    std::vector<std::string> summary;
    for (auto& [c, id] : submitted) {
        auto t = rt.wait(id, 30s);
        std::cout << "\n== " << c->title << "\n";
        if (!t) {
            ++failures;
            std::cout << "  did not finish: " << t.error() << "\n";
            summary.push_back(fmt::format("  {:<52} {:<10} {:<10} FAIL (timed out)", c->title,
                                          tasker::to_string(c->expected), "-"));
            continue;
        }
        std::cout << tasker::format_timeline(*t);
        std::string problem = t->state == c->expected ? c->check(*t) : "ended " + std::string(to_string(t->state));
        std::uint32_t attempts = 0;
        for (const auto& s : t->steps)
            attempts += s.attempts;
        const double ms = std::chrono::duration<double, std::milli>(t->updated_at - t->created_at).count();
        summary.push_back(fmt::format("  {:<52} {:<10} {:<10} {:>5} {:>8} {:>9.1f}  {}", c->title,
                                      tasker::to_string(c->expected), tasker::to_string(t->state), t->steps.size(),
                                      attempts, ms, problem.empty() ? "ok" : "FAIL: " + problem));
        failures += !problem.empty();
    }
    rt.stop(5s);
    std::filesystem::remove(csv_path);

    std::cout << "\nSummary\n"
              << fmt::format("  {:<52} {:<10} {:<10} {:>5} {:>8} {:>9}\n", "workflow", "expected", "actual", "steps",
                             "attempts", "ms");
    for (const auto& line : summary)
        std::cout << line << "\n";
    std::cout << (failures ? fmt::format("\n{} workflow(s) did not end as expected\n", failures)
                           : std::string("\nevery workflow ended as expected\n"));
    return failures ? 1 : 0;
}
