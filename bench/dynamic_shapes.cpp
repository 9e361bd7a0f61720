// The decision and batch shapes on the embedded runtime or on PostgreSQL with PGMQ: steps/s
// for a burst of tasks, and what a batch worker's checkpoint costs (each call of
// step_context::checkpoint timed in the handler). On PostgreSQL it creates, migrates and
// drops its own database on the server named by --url or TASKER_DATABASE_URL.
//
//   decision: intake -> route (decision: two of four branches) -> close (deferred convergence)
//   batch:    plan (batchable: --batches workers of --items items each) -> work -> sum
#include "scratch_database.hpp"

#include <tasker/inmemory/runtime.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/runtime.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <vector>

using namespace tasker;
using steady = std::chrono::steady_clock;

namespace {

struct settings {
    std::string url;
    std::string backend = "pgmq";
    std::string shape = "decision";
    int tasks = 500;
    int batches = 20;
    int items = 1000;
    int checkpoint_every = 100;
    std::size_t concurrency = 16;
    std::size_t batch = 64;
    std::string handlers = "pool";
};

constexpr const char* decision_yaml = R"(
name: decision_shape
namespace_name: bench
version: 1.0.0
steps:
  - {name: intake, handler: {callable: bench.noop}}
  - {name: route, type: decision, dependencies: [intake], handler: {callable: bench.route}}
  - {name: a, dependencies: [route], handler: {callable: bench.noop}}
  - {name: b, dependencies: [route], handler: {callable: bench.noop}}
  - {name: c, dependencies: [route], handler: {callable: bench.noop}}
  - {name: d, dependencies: [route], handler: {callable: bench.noop}}
  - {name: close, type: deferred_convergence, dependencies: [a, b, c, d], handler: {callable: bench.noop}}
)";

constexpr const char* batch_yaml = R"(
name: batch_shape
namespace_name: bench
version: 1.0.0
steps:
  - {name: plan, type: batchable, handler: {callable: bench.plan}}
  - {name: work, type: batch_worker, dependencies: [plan], handler: {callable: bench.work}}
  - {name: sum, type: deferred_convergence, dependencies: [work], handler: {callable: bench.noop}}
)";

struct checkpoint_times {
    std::mutex m;
    std::vector<double> us;
};

template <class Runtime>
void run(Runtime& rt, const settings& s)
{
    checkpoint_times times;
    rt.handlers().add("bench.noop", [](step_context&) { return success(); });
    rt.handlers().add("bench.route", [](step_context&) { return create_steps({"a", "c"}); });
    rt.handlers().add("bench.plan", [&s](step_context&) {
        const std::int64_t total = std::int64_t{s.batches} * s.items;
        return create_batches("work", even_batches(total, s.items), total);
    });
    rt.handlers().add("bench.work", [&](step_context& ctx) {
        const auto b = *ctx.batch();
        auto progress = ctx.last_checkpoint().value_or(batch_checkpoint{b.start, 0, 0});
        std::int64_t sum = 0;
        for (auto i = progress.cursor; i < b.end; ++i) {
            sum += i;
            ++progress.items_processed;
            if (s.checkpoint_every > 0 && (i + 1 - b.start) % s.checkpoint_every == 0) {
                progress.cursor = i + 1;
                progress.accumulated = sum;
                const auto t0 = steady::now();
                if (!ctx.checkpoint(progress))
                    return retryable_error("checkpoint not kept");
                const double us = std::chrono::duration<double, std::micro>(steady::now() - t0).count();
                std::lock_guard lock(times.m);
                times.us.push_back(us);
            }
        }
        return success({{"sum", sum}});
    });
    const bool decision = s.shape == "decision";
    rt.load_template(decision ? decision_yaml : batch_yaml).value();
    rt.start().value();
    const std::string name = decision ? "decision_shape" : "batch_shape";
    const int tasks = decision ? s.tasks : std::max(1, s.tasks / 50);
    const double steps_per_task = decision ? 5 : s.batches + 2;

    const auto start = steady::now();
    std::vector<task_id> ids;
    for (int i = 0; i < tasks; ++i)
        ids.push_back(rt.submit({{"bench", name, std::nullopt}, json::object{}, {}, {}}).value().id);
    for (const auto& id : ids) {
        auto t = rt.wait(id, std::chrono::minutes(10)).value();
        if (t.state != task_state::complete)
            throw std::runtime_error("a benchmark task ended " + std::string(to_string(t.state)));
    }
    const double seconds = std::chrono::duration<double>(steady::now() - start).count();
    std::cout << s.shape << " shape on " << s.backend << ": " << tasks << " tasks (" << tasks * steps_per_task
              << " steps), worker concurrency " << s.concurrency << ", batch " << s.batch << ", handlers " << s.handlers;
    if (!decision)
        std::cout << ", " << s.batches << " batches of " << s.items << " items, a checkpoint every "
                  << s.checkpoint_every;
    std::cout << "\nthroughput: " << static_cast<long>(tasks * steps_per_task / seconds) << " steps/s (" << seconds
              << " s, submission included)\n";
    if (!times.us.empty()) {
        auto& v = times.us;
        std::sort(v.begin(), v.end());
        double total = 0;
        for (double x : v)
            total += x;
        std::cout << "checkpoint: " << v.size() << " calls, mean " << total / static_cast<double>(v.size())
                  << " us, p50 " << v[v.size() / 2] << " us, p99 " << v[v.size() * 99 / 100] << " us\n";
    }
    rt.stop(std::chrono::seconds(1));
}

template <class Options>
void configure(Options& o, const settings& s)
{
    o.worker.namespaces = {"bench"};
    o.worker.concurrency = s.concurrency;
    o.worker.batch_size = s.batch;
    o.orchestrator.batch_size = s.batch;
    o.worker.execution = s.handlers == "pool" ? handler_execution::thread_pool : handler_execution::inline_on_worker;
}

} // namespace

int main(int argc, char** argv)
{
    settings s;
    if (const char* env = std::getenv("TASKER_DATABASE_URL"))
        s.url = env;
    CLI::App app{"decision and batch shapes: steps/s and the cost of a checkpoint"};
    app.add_option("--backend", s.backend, "where tasks run")->check(CLI::IsMember({"inmemory", "pgmq"}))->capture_default_str();
    app.add_option("--shape", s.shape, "workflow shape")->check(CLI::IsMember({"decision", "batch"}))->capture_default_str();
    app.add_option("--url", s.url, "maintenance database URL for --backend pgmq (default: TASKER_DATABASE_URL)");
    app.add_option("--tasks", s.tasks, "decision tasks in the burst (batch: one task per 50)")->capture_default_str();
    app.add_option("--batches", s.batches, "workers per batch task")->capture_default_str();
    app.add_option("--items", s.items, "items per worker")->capture_default_str();
    app.add_option("--checkpoint-every", s.checkpoint_every, "items between checkpoints (0: none)")->capture_default_str();
    app.add_option("--concurrency", s.concurrency, "steps a worker runs at once")->capture_default_str();
    app.add_option("--batch", s.batch, "messages per read for orchestrator and worker")->capture_default_str();
    app.add_option("--handlers", s.handlers, "where handlers run")->check(CLI::IsMember({"inline", "pool"}))->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    if (s.backend == "inmemory") {
        inmemory::runtime_options o;
        configure(o, s);
        inmemory::runtime rt(o);
        run(rt, s);
        return 0;
    }
    if (s.url.empty()) {
        std::cerr << "give --url or set TASKER_DATABASE_URL\n";
        return 1;
    }
    const bench::scratch_database db(s.url, true);
    postgres::runtime_options o{.url = db.url()};
    configure(o, s);
    postgres::runtime<pgmq::broker> rt(o, pgmq::broker_config{.url = db.url()});
    run(rt, s);
    return 0;
}
