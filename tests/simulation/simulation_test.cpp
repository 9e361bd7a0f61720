// Deterministic simulation: K orchestrators and M workers in one thread on virtual time, a
// broker that duplicates, delays and reorders messages and loses readers, workers killed in
// the middle of steps, tasks cancelled while they run. Everything random comes from the seed, so a failing seed replays
// the same run event for event:
//
//     TASKER_SIM_SEED=1234 build/ci/tests/tasker_simulation_tests
//
// TASKER_SIM_SEEDS (default 200) sets how many seeds a run covers.
#include <tasker/detail/run_blocking.hpp>
#include <tasker/state/step_machine.hpp>
#include <tasker/state/task_machine.hpp>
#include <tasker/store/timeline.hpp>
#include <tasker/testing/sim_cluster.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

// Three shapes: a chain, a wide fan-out/fan-in, and a two-level diamond with a shortcut.
constexpr std::string_view templates[] = {
    R"(
name: chain
namespace_name: sim
version: 1.0.0
retry: {max_attempts: 4, backoff_base_ms: 1000, max_backoff_ms: 60000}
steps:
  - {name: a, handler: {callable: sim.step}}
  - {name: b, dependencies: [a], handler: {callable: sim.step}}
  - {name: c, dependencies: [b], handler: {callable: sim.step}}
)",
    R"(
name: fan
namespace_name: sim
version: 1.0.0
retry: {max_attempts: 4, backoff_base_ms: 500}
steps:
  - {name: root, handler: {callable: sim.step}}
  - {name: w1, dependencies: [root], handler: {callable: sim.step}}
  - {name: w2, dependencies: [root], handler: {callable: sim.step}}
  - {name: w3, dependencies: [root], handler: {callable: sim.step}}
  - {name: w4, dependencies: [root], handler: {callable: sim.step}}
  - {name: join, dependencies: [w1, w2, w3, w4], handler: {callable: sim.step}}
)",
    R"(
name: lattice
namespace_name: sim
version: 1.0.0
retry: {max_attempts: 4, backoff: linear, backoff_base_ms: 2000}
steps:
  - {name: s, handler: {callable: sim.step}}
  - {name: l, dependencies: [s], handler: {callable: sim.step}}
  - {name: r, dependencies: [s], handler: {callable: sim.step}}
  - {name: m, dependencies: [l, r], handler: {callable: sim.step}}
  - {name: e, dependencies: [m, s], handler: {callable: sim.step}, timeout_seconds: 30}
)",
};

/// What one step of one task does, fixed by the seed before the run.
struct step_plan {
    int transient_failures = 0; ///< fails retryably on this many first attempts (< max_attempts)
    bool permanent = false;      ///< fails permanently on its first attempt
    bool crash_worker = false;   ///< kills its worker mid-step on the first attempt
};

struct task_plan {
    std::string workflow;
    std::map<std::string, step_plan> steps;
    bool cancel = false; ///< cancelled when its first step is claimed
};

constexpr std::uint32_t max_attempts = 4; // every template above

std::uint64_t env_number(const char* name, std::uint64_t fallback)
{
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

/// What a batch of seeds went through, to show the faults really happened.
struct totals {
    std::uint64_t events = 0;
    std::map<task_state, int> ends;
    std::map<testing::fault, std::size_t> faults;
    int crashes = 0;
};

/// One seeded run and the invariants it must keep.
class simulation {
public:
    explicit simulation(std::uint64_t seed) : seed_(seed), rng_(seed)
    {
        testing::cluster_options o;
        o.seed = seed;
        o.orchestrators = 1 + rng_() % 3;
        o.workers = 1 + rng_() % 3;
        o.faults.duplicate = 0.05;
        o.faults.delay = 0.05;
        o.faults.reorder = 0.05;
        o.faults.crash_after_receive = 0.02;
        // Not injected: `drop` (a committed message is never lost: PGMQ sends in the same
        // transaction, RabbitMQ relays an outbox with confirms) and `send_failure` (the
        // engine sends nothing outside a store commit, so it would never fire).
        o.faults.max_delay = 3s;
        o.worker.lease = 20s;
        o.templates.retry_defaults.jitter = 0.2;
        cluster_ = std::make_unique<testing::sim_cluster>(o);
    }

    /// Runs the seed; returns a digest of everything that happened (for the replay check)
    /// and fails the current test with the seed and the offending timeline on a violation.
    std::string run()
    {
        for (auto yaml : templates)
            REQUIRE(cluster_->add_template(yaml));
        cluster_->handlers().add("sim.step", [this](step_context& ctx) { return handle(ctx); });
        REQUIRE(cluster_->start());

        const int tasks = 4 + static_cast<int>(rng_() % 6);
        for (int i = 0; i < tasks; ++i)
            submit_planned();
        cluster_->on_event([this] { check_invariants(); });

        const bool finished = cluster_->run_until([this] { return all_terminal(); }, 24h);
        if (!finished)
            fail("not every task reached a terminal state within 24 virtual hours");
        check_invariants();
        check_end_states();
        return digest();
    }

    void add_to(totals& sum) const
    {
        sum.events += cluster_->events();
        for (const auto& id : ids_)
            ++sum.ends[cluster_->get(id).value().state];
        for (auto f : {testing::fault::duplicate, testing::fault::delay, testing::fault::reorder,
                       testing::fault::crash_after_receive})
            sum.faults[f] += cluster_->broker().injected(f);
        sum.crashes += static_cast<int>(crashed_.size());
    }

private:
    void submit_planned()
    {
        task_plan plan;
        plan.workflow = std::string(std::array{"chain", "fan", "lattice"}[rng_() % 3]);
        const auto tmpl =
            detail::run_blocking(cluster_->store().find_template({"sim", plan.workflow, std::nullopt})).value();
        for (const auto& s : tmpl->steps) {
            step_plan sp;
            const auto roll = rng_() % 100;
            if (roll < 20)
                sp.transient_failures = 1 + static_cast<int>(rng_() % 3); // at most 3 < max_attempts 4
            else if (roll < 23)
                sp.permanent = true;
            else if (roll < 28)
                sp.crash_worker = true;
            plan.steps[s.name] = sp;
        }
        plan.cancel = rng_() % 10 == 0;
        auto created = cluster_->submit({{"sim", plan.workflow, std::nullopt}, json::object{}, {}, {}});
        REQUIRE(created);
        plans_[created->id] = std::move(plan);
        ids_.push_back(created->id);
    }

    step_result handle(step_context& ctx)
    {
        auto& plan = plans_.at(ctx.task());
        const auto& sp = plan.steps.at(std::string(ctx.step_name()));
        ++handler_runs_[{ctx.task(), std::string(ctx.step_name())}];
        if (plan.cancel && !cancel_sent_.contains(ctx.task())) {
            cancel_sent_.insert(ctx.task());
            (void)cluster_->act(ctx.task(), action::cancel{});
        }
        if (sp.crash_worker && ctx.attempt() == 1 && !crashed_.contains({ctx.task(), std::string(ctx.step_name())})) {
            crashed_.insert({ctx.task(), std::string(ctx.step_name())});
            const auto killed = cluster_->kill_current_worker();
            if (std::find(restart_queue_.begin(), restart_queue_.end(), killed) == restart_queue_.end())
                restart_queue_.push_back(killed);
            return success(); // never recorded: its worker is dead
        }
        if (sp.permanent)
            return permanent_error("planned permanent failure");
        if (static_cast<int>(ctx.attempt()) <= sp.transient_failures)
            return retryable_error("planned transient failure " + std::to_string(ctx.attempt()));
        // The result names every ancestor's result, so a step that ran before its parents
        // finished, or saw a wrong result, shows up at the end.
        json::object out{{"step", ctx.step_name()}};
        for (auto a : ctx.workflow().graph.ancestors(*ctx.workflow().step_index(ctx.step_name())))
            out[ctx.workflow().steps[a].name] = ctx.result_of(ctx.workflow().steps[a].name) != nullptr;
        return success(std::move(out));
    }

    // Between events, never inside a handler: the dead worker may still be unwinding.
    void restart_dead_workers()
    {
        for (auto i : restart_queue_)
            cluster_->restart_worker(i);
        restart_queue_.clear();
    }

    bool all_terminal()
    {
        restart_dead_workers();
        return cluster_->store().finished_total() >= ids_.size();
    }

    // After every event: each task's history is a legal walk of both machines, no step is
    // completed twice, and no step is enqueued twice without running in between.
    void check_invariants()
    {
        const auto version = cluster_->store().version();
        if (version == checked_version_)
            return;
        checked_version_ = version;
        for (const auto& id : ids_) {
            const auto t = cluster_->get(id).value();
            std::vector<step_state> states(t.steps.size(), step_state::pending);
            std::vector<int> completions(t.steps.size(), 0);
            std::vector<int> enqueues(t.steps.size(), 0);
            std::vector<int> starts(t.steps.size(), 0);
            task_state task = task_state::pending;
            std::size_t ti = 0, si = 0;
            std::uint32_t last_seq = 0;
            while (ti < t.task_transitions.size() || si < t.step_transitions.size()) {
                const bool take_task = si == t.step_transitions.size() ||
                                       (ti < t.task_transitions.size() &&
                                        t.task_transitions[ti].seq < t.step_transitions[si].seq);
                if (take_task) {
                    const auto& tr = t.task_transitions[ti++];
                    const auto next = task_machine::next(tr.from, tr.event);
                    if (tr.seq <= last_seq || tr.from != task || !next || *next != tr.to)
                        fail("illegal task transition", t);
                    last_seq = tr.seq;
                    task = tr.to;
                } else {
                    const auto& tr = t.step_transitions[si++];
                    const auto next = step_machine::next(tr.from, tr.event);
                    if (tr.seq <= last_seq || tr.from != states[tr.step] || !next || *next != tr.to)
                        fail("illegal step transition", t);
                    last_seq = tr.seq;
                    states[tr.step] = tr.to;
                    completions[tr.step] += tr.to == step_state::complete;
                    enqueues[tr.step] += tr.to == step_state::enqueued;
                    starts[tr.step] += tr.to == step_state::in_progress;
                }
            }
            if (task != t.state)
                fail("the task's state does not match its history", t);
            for (std::size_t i = 0; i < t.steps.size(); ++i) {
                if (completions[i] > 1)
                    fail("step '" + t.steps[i].name + "' completed twice", t);
                // A join enqueued twice by parents finishing together would show here.
                if (enqueues[i] > starts[i] + 1)
                    fail("step '" + t.steps[i].name + "' was enqueued again before it ran", t);
            }
        }
    }

    // Each task ends as its plan says.
    void check_end_states()
    {
        for (const auto& id : ids_) {
            const auto t = cluster_->get(id).value();
            const auto& plan = plans_.at(id);
            if (cancel_sent_.contains(id)) {
                if (t.state != task_state::cancelled && t.state != task_state::complete &&
                    t.state != task_state::error)
                    fail("a cancelled task ended " + std::string(to_string(t.state)), t);
                continue;
            }
            bool any_permanent_ran = false;
            bool any_exhausted = false; // a crashed worker takes all its claimed steps' attempts
            for (const auto& s : t.steps) {
                any_permanent_ran |= plan.steps.at(s.name).permanent && s.attempts > 0;
                any_exhausted |= s.state == step_state::error && s.attempts == max_attempts;
            }
            if (t.state == task_state::error ? !(any_permanent_ran || any_exhausted) : t.state != task_state::complete)
                fail("the task ended " + std::string(to_string(t.state)) + " against its plan", t);
            if (t.state == task_state::complete && any_permanent_ran)
                fail("the task completed although a step failed permanently", t);
            for (const auto& s : t.steps) {
                if (s.state != step_state::complete)
                    continue;
                if (!s.result || !s.result->is_object())
                    fail("step '" + s.name + "' completed without its handler's result", t);
                // Every ancestor's result was visible to the step.
                for (const auto& [key, saw] : s.result->as_object())
                    if (key != "step" && !saw.as_bool())
                        fail("step '" + s.name + "' ran without the result of '" + std::string(key) + "'", t);
                // Planned failures each cost an attempt; crashes may add more, up to the limit.
                const auto planned = static_cast<std::uint32_t>(plan.steps.at(s.name).transient_failures) + 1;
                if (s.attempts < planned || s.attempts > max_attempts)
                    fail("step '" + s.name + "' took " + std::to_string(s.attempts) + " attempts", t);
            }
        }
    }

    std::string digest()
    {
        std::ostringstream out;
        out << cluster_->events() << " events, " << std::chrono::duration_cast<milliseconds>(cluster_->elapsed()).count()
            << " ms\n";
        for (const auto& id : ids_)
            out << format_timeline(cluster_->get(id).value());
        return out.str();
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
    std::map<task_id, task_plan> plans_;
    std::map<std::pair<task_id, std::string>, int> handler_runs_;
    std::set<std::pair<task_id, std::string>> crashed_;
    std::set<task_id> cancel_sent_;
    std::vector<std::size_t> restart_queue_;
    std::uint64_t checked_version_ = ~std::uint64_t{0};
};

} // namespace

TEST_CASE("simulation: every seed keeps the invariants and ends every task as planned", "[simulation]")
{
    const auto only = env_number("TASKER_SIM_SEED", 0);
    const auto first = only ? only : env_number("TASKER_SIM_FIRST_SEED", 1);
    const auto count = only ? 1 : env_number("TASKER_SIM_SEEDS", 200);
    totals sum;
    for (std::uint64_t seed = first; seed < first + count; ++seed) {
        INFO("seed " << seed);
        simulation sim(seed);
        sim.run();
        sim.add_to(sum);
    }
    std::ostringstream report;
    report << count << " seeds, " << sum.events << " events; tasks:";
    for (const auto& [state, n] : sum.ends)
        report << " " << n << " " << to_string(state);
    report << "; worker crashes " << sum.crashes << "; broker faults:";
    for (const auto& [f, n] : sum.faults)
        report << " " << to_string(f) << " " << n;
    WARN(report.str());
    // The run exercised what it claims to: every kind of ending and of fault happened.
    if (count >= 100) {
        CHECK(sum.ends[task_state::complete] > 0);
        CHECK(sum.ends[task_state::error] > 0);
        CHECK(sum.ends[task_state::cancelled] > 0);
        CHECK(sum.crashes > 0);
        for (const auto& [f, n] : sum.faults)
            CHECK(n > 0);
    }
}

TEST_CASE("simulation: a seed replays identically", "[simulation]")
{
    for (std::uint64_t seed : {7u, 42u, 1234u}) {
        INFO("seed " << seed);
        const auto first = simulation(seed).run();
        const auto second = simulation(seed).run();
        CHECK(first == second);
    }
}
