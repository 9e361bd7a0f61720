// Decision and batch workflows in the deterministic simulation: several orchestrators and
// workers on the fake broker (duplicated, delayed and reordered messages, receivers that
// crash), with batch workers killed between checkpoints. After every event: no step is
// created twice, a convergence is never enqueued twice, and a batch attempt starts from the
// last checkpoint made durable before it, never from earlier. At the end every task
// completed, each convergence exactly once, with every item counted once.
#include <tasker/engine/step_context.hpp>
#include <tasker/engine/step_result.hpp>
#include <tasker/store/timeline.hpp>
#include <tasker/testing/sim_cluster.hpp>

#include "support/catch.hpp"

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view approval_yaml = R"(
name: approval
namespace_name: simd
version: 1.0.0
retry: {max_attempts: 5, backoff_base_ms: 500}
steps:
  - {name: intake, handler: {callable: simd.plain}}
  - {name: route, type: decision, dependencies: [intake], handler: {callable: simd.route}}
  - {name: fast, dependencies: [route], handler: {callable: simd.plain}}
  - {name: review, dependencies: [route], handler: {callable: simd.plain}}
  - {name: second_review, dependencies: [review], handler: {callable: simd.plain}}
  - name: close
    type: deferred_convergence
    dependencies: [fast, review, second_review]
    handler: {callable: simd.converge}
)";

constexpr std::string_view batch_yaml = R"(
name: batches
namespace_name: simd
version: 1.0.0
retry: {max_attempts: 6, backoff_base_ms: 500}
steps:
  - {name: plan, type: batchable, handler: {callable: simd.plan}}
  - name: work
    type: batch_worker
    dependencies: [plan]
    handler: {callable: simd.work}
    batch_config: {batch_size: 40, parallelism: 3, cursor_field: item, worker_template: work}
  - {name: sum, type: deferred_convergence, dependencies: [work], handler: {callable: simd.converge}}
)";

constexpr std::int64_t every = 10; // items between a worker's checkpoints

std::uint64_t env_number(const char* name, std::uint64_t fallback)
{
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

class dynamic_simulation {
public:
    explicit dynamic_simulation(std::uint64_t seed) : seed_(seed), rng_(seed)
    {
        testing::cluster_options o;
        o.seed = seed;
        o.orchestrators = 1 + rng_() % 3;
        o.workers = 1 + rng_() % 3;
        o.faults.duplicate = 0.05;
        o.faults.delay = 0.05;
        o.faults.reorder = 0.05;
        o.faults.crash_after_receive = 0.02;
        o.faults.max_delay = 3s;
        o.worker.lease = 20s;
        cluster_ = std::make_unique<testing::sim_cluster>(o);
    }

    void run()
    {
        REQUIRE(cluster_->add_template(approval_yaml));
        REQUIRE(cluster_->add_template(batch_yaml));
        auto& h = cluster_->handlers();
        h.add("simd.plain", [](step_context&) { return success(); });
        h.add("simd.route", [this](step_context& ctx) {
            switch (routes_.at(ctx.task())) {
            case 0: return create_steps({"fast"});
            case 1: return create_steps({"review"});
            case 2: return create_steps({"review", "second_review"});
            default: return no_branches();
            }
        });
        h.add("simd.plan", [this](step_context& ctx) {
            const auto items = items_.at(ctx.task());
            return items == 0 ? no_batches() : create_batches("work", even_batches(items, 40), items);
        });
        h.add("simd.work", [this](step_context& ctx) { return work(ctx); });
        h.add("simd.converge", [this](step_context& ctx) {
            std::int64_t sum = 0;
            ctx.for_each_result([&](std::string_view, const json::value& v) {
                if (const auto* o = v.if_object(); o && o->contains("sum"))
                    sum += o->at("sum").to_number<std::int64_t>();
            });
            return success({{"sum", sum}});
        });
        REQUIRE(cluster_->start());

        const int tasks = 3 + static_cast<int>(rng_() % 4);
        for (int i = 0; i < tasks; ++i) {
            const bool batch = rng_() % 2 == 0;
            auto created = cluster_->submit({{"simd", batch ? "batches" : "approval", std::nullopt}, json::object{}, {}, {}});
            REQUIRE(created);
            ids_.push_back(created->id);
            if (batch)
                items_[created->id] = rng_() % 8 == 0 ? 0 : 20 + static_cast<std::int64_t>(rng_() % 200);
            else
                routes_[created->id] = static_cast<int>(rng_() % 4);
        }
        cluster_->on_event([this] { check_invariants(); });
        const bool finished = cluster_->run_until(
            [this] {
                for (auto i : restart_queue_)
                    cluster_->restart_worker(i);
                restart_queue_.clear();
                return cluster_->store().finished_total() >= ids_.size();
            },
            24h);
        if (!finished)
            fail("not every task finished within 24 virtual hours");
        check_invariants();
        check_end_states();
    }

    int kills() const { return kills_; }

private:
    // A batch worker: resumes from its last checkpoint, checkpoints every few items, and
    // on its first attempt may be killed right after a checkpoint (seeded).
    step_result work(step_context& ctx)
    {
        const auto batch = ctx.batch().value();
        const auto key = std::pair{ctx.task(), batch.batch_id};
        auto progress = ctx.last_checkpoint().value_or(batch_checkpoint{batch.start, 0, 0});
        const auto durable = durable_.contains(key) ? durable_.at(key) : batch.start;
        if (progress.cursor < durable)
            fail("batch " + batch.batch_id + " attempt " + std::to_string(ctx.attempt()) + " started from " +
                     std::to_string(progress.cursor) + ", before its checkpoint at " + std::to_string(durable),
                 cluster_->get(ctx.task()).value());
        std::int64_t sum = progress.accumulated.to_number<std::int64_t>();
        const bool kill = ctx.attempt() == 1 && rng_() % 4 == 0;
        for (auto i = progress.cursor; i < batch.end; ++i) {
            sum += i;
            ++progress.items_processed;
            if ((i + 1 - batch.start) % every == 0 && i + 1 < batch.end) {
                progress.cursor = i + 1;
                progress.accumulated = sum;
                if (!ctx.checkpoint(progress))
                    return retryable_error("checkpoint not kept");
                durable_[key] = progress.cursor;
                if (kill && progress.cursor - batch.start == 2 * every) {
                    ++kills_;
                    const auto killed = cluster_->kill_current_worker();
                    if (std::find(restart_queue_.begin(), restart_queue_.end(), killed) == restart_queue_.end())
                        restart_queue_.push_back(killed);
                    return success(); // never recorded: its worker is dead
                }
            }
        }
        return success({{"sum", sum}});
    }

    void check_invariants()
    {
        const auto version = cluster_->store().version();
        if (version == checked_version_)
            return;
        checked_version_ = version;
        for (const auto& id : ids_) {
            const auto t = cluster_->get(id).value();
            std::map<std::uint32_t, int> creations, enqueues, starts;
            for (const auto& tr : t.step_transitions) {
                creations[tr.step] += tr.event == step_event::create;
                enqueues[tr.step] += tr.to == step_state::enqueued;
                starts[tr.step] += tr.to == step_state::in_progress;
            }
            std::set<std::string> names;
            for (const auto& s : t.steps) {
                if (!names.insert(s.name).second)
                    fail("step '" + s.name + "' exists twice", t);
                if (creations[s.index] > 1)
                    fail("step '" + s.name + "' was created twice", t);
                if (enqueues[s.index] > starts[s.index] + 1)
                    fail("step '" + s.name + "' was enqueued again before it ran", t);
            }
        }
    }

    void check_end_states()
    {
        for (const auto& id : ids_) {
            const auto t = cluster_->get(id).value();
            if (t.state != task_state::complete)
                fail("the task ended " + std::string(to_string(t.state)), t);
            const bool batch = items_.contains(id);
            const auto* converge = t.step(batch ? "sum" : "close");
            const bool converges = batch || routes_.at(id) != 3;
            if (!converges) {
                if (converge)
                    fail("a decision with no branches created its convergence", t);
                continue;
            }
            if (!converge || converge->state != step_state::complete)
                fail("the convergence did not complete", t);
            int completions = 0;
            for (const auto& tr : t.step_transitions)
                completions += tr.step == converge->index && tr.to == step_state::complete;
            if (completions != 1)
                fail("the convergence completed " + std::to_string(completions) + " times", t);
            if (batch) {
                const auto n = items_.at(id);
                if (converge->result->at("sum").to_number<std::int64_t>() != n * (n - 1) / 2)
                    fail("the sum over the batches is wrong", t);
            }
        }
    }

    [[noreturn]] void fail(const std::string& what, const task_view& t)
    {
        FAIL("seed " << seed_ << ": " << what << "\n" << format_timeline(t)
                     << "replay: TASKER_SIM_SEED=" << seed_ << " tasker_simulation_tests");
        throw std::logic_error("unreachable: FAIL throws");
    }

    [[noreturn]] void fail(const std::string& what)
    {
        FAIL("seed " << seed_ << ": " << what << "\nreplay: TASKER_SIM_SEED=" << seed_ << " tasker_simulation_tests");
        throw std::logic_error("unreachable: FAIL throws");
    }

    std::uint64_t seed_;
    std::mt19937_64 rng_;
    std::unique_ptr<testing::sim_cluster> cluster_;
    std::vector<task_id> ids_;
    std::map<task_id, int> routes_;
    std::map<task_id, std::int64_t> items_;
    std::map<std::pair<task_id, std::string>, std::int64_t> durable_;
    std::vector<std::size_t> restart_queue_;
    std::uint64_t checked_version_ = ~std::uint64_t{0};
    int kills_ = 0;
};

} // namespace

TEST_CASE("simulation: decision and batch workflows keep their invariants under faults and killed workers",
          "[simulation]")
{
    const auto only = env_number("TASKER_SIM_SEED", 0);
    const auto first = only ? only : env_number("TASKER_SIM_FIRST_SEED", 1);
    const auto count = only ? 1 : env_number("TASKER_SIM_SEEDS", 300);
    int kills = 0;
    for (std::uint64_t seed = first; seed < first + count; ++seed) {
        INFO("seed " << seed);
        dynamic_simulation sim(seed);
        sim.run();
        kills += sim.kills();
    }
    WARN(count << " seeds; batch workers killed between checkpoints: " << kills);
    if (count >= 100)
        CHECK(kills > 0);
}
