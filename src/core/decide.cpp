#include <tasker/core/decision.hpp>
#include <tasker/core/task_graph.hpp>
#include <tasker/retry/backoff.hpp>
#include <tasker/state/step_machine.hpp>
#include <tasker/state/task_machine.hpp>

#include <algorithm>
#include <ostream>
#include <string>
#include <unordered_map>

namespace tasker {

void decision::clear() noexcept
{
    task_changes.clear();
    step_changes.clear();
    messages.clear();
    dead_letter = false;
    failed_steps.clear();
    cause = dead_letter_cause::retries_exhausted;
    stale_reason.clear();
    closes_dead_letter.reset();
    created_steps.clear();
    refused_results.clear();
}

std::string_view to_string(outgoing_queue q) noexcept
{
    switch (q) {
    case outgoing_queue::worker: return "worker";
    case outgoing_queue::orchestration: return "orchestration";
    }
    return "unknown outgoing_queue";
}

std::ostream& operator<<(std::ostream& os, outgoing_queue q)
{
    return os << to_string(q);
}

void apply_step_change(step_status& s, const step_change& c) noexcept
{
    s.state = c.to;
    if (c.event == step_event::reset) {
        s.attempts = 0;
        s.retry_after.reset();
    }
}

namespace {

/// A number in [0, 1) from 64 random bits, mixed with `salt` so each retry in one decision
/// gets its own jitter.
double unit_random(std::uint64_t random, std::uint64_t salt) noexcept
{
    std::uint64_t z = random + 0x9e3779b97f4a7c15ULL * (salt + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

// One decision in the making: the task state and a working copy of step states that
// follow each change, so later rules see earlier changes.
class decider {
public:
    decider(const task_template& tmpl, const task_id& task, task_state state, std::span<const step_status> steps,
            std::uint64_t random, decision& out, const result_lookup& results)
        : tmpl_(tmpl), task_(task), state_(state), steps_(steps), random_(random), out_(out), results_(results)
    {
        out_.clear();
        out_.working_states.assign(steps.size(), step_state::pending);
        for (std::size_t i = 0; i < steps.size(); ++i)
            out_.working_states[i] = steps[i].state;
        if (tmpl_.dynamic) {
            out_.working_steps.assign(steps.begin(), steps.end());
            steps_ = out_.working_steps;
            graph_.emplace(tmpl_, steps_);
        }
    }

    result<void> operator()(const input::start&)
    {
        if (state_ != task_state::pending)
            return {}; // already started: a duplicate
        if (auto r = move_task(task_event::start); !r)
            return r;
        return evaluate(/*retry_waiting=*/true);
    }

    result<void> operator()(const input::step_result& in) { return results(std::span(&in, 1)); }

    result<void> operator()(const input::step_result_batch& in) { return results(in.results); }

    result<void> operator()(const input::retry_due& in)
    {
        if (in.step >= steps_.size() || is_terminal(state_) || state_ == task_state::blocked_by_failures)
            return {}; // a blocked task retries its waiting steps when it is unblocked
        if (states()[in.step] != step_state::waiting_for_retry || steps_[in.step].attempts != in.attempt)
            return {};
        if (auto r = move_task(task_event::retry_ready); !r)
            return r;
        if (auto r = enqueue(in.step, step_event::retry); !r)
            return r;
        return move_task(task_event::steps_enqueued);
    }

    result<void> operator()(const input::cancel&)
    {
        if (is_terminal(state_))
            return error{errc::illegal_transition,
                         "task is already " + std::string(to_string(state_)) + ": it cannot be cancelled"};
        for (std::uint32_t i = 0; i < steps_.size(); ++i)
            if (steps_[i].created && !is_terminal(states()[i]))
                if (auto r = move_step(i, step_event::cancel); !r)
                    return r;
        return move_task(task_event::cancel);
    }

    result<void> operator()(const input::resolve_step& in)
    {
        if (auto r = check_step(in.step); !r)
            return r;
        if (auto r = check_open_for_operator(); !r)
            return r;
        if (auto r = move_step(in.step, step_event::resolve); !r)
            return r;
        return resume_after_operator(task_event::step_completed);
    }

    result<void> operator()(const input::reset_step& in)
    {
        if (auto r = check_step(in.step); !r)
            return r;
        if (states()[in.step] != step_state::error)
            return error{errc::illegal_transition, "step '" + step_of(in.step).name + "' is " +
                                                       std::string(to_string(states()[in.step])) +
                                                       ": only a step in error can be reset"};
        if (auto r = check_open_for_operator(); !r)
            return r;
        if (auto r = move_step(in.step, step_event::reset); !r)
            return r;
        reset_steps_.push_back(in.step);
        return resume_after_operator(std::nullopt);
    }

    result<void> operator()(const input::retry_failed&)
    {
        if (auto r = check_open_for_operator(); !r)
            return r;
        for (std::uint32_t i = 0; i < states().size(); ++i) {
            if (states()[i] != step_state::error)
                continue;
            if (auto r = move_step(i, step_event::reset); !r)
                return r;
            reset_steps_.push_back(i);
        }
        if (reset_steps_.empty())
            return error{errc::illegal_transition, "task is " + std::string(to_string(state_)) +
                                                       " and none of its steps is in error: there is nothing to retry"};
        return resume_after_operator(std::nullopt);
    }

    result<void> operator()(const input::complete_step& in)
    {
        if (auto r = check_step(in.step); !r)
            return r;
        if (auto r = check_open_for_operator(); !r)
            return r;
        if (const auto type = step_of(in.step).type; type == step_type::decision || type == step_type::batchable)
            return error{errc::illegal_transition,
                         "step '" + step_of(in.step).name + "' is a " + std::string(to_string(type)) +
                             " step, whose result creates steps: reset it to run it again, or resolve it"};
        if (auto r = move_step(in.step, step_event::complete_manually); !r)
            return r;
        return resume_after_operator(task_event::step_completed);
    }

    result<void> operator()(const input::resolve_task&) { return move_task(task_event::manual_resolution); }

    // A task past a lifecycle limit: every unfinished step fails with it, then it ends in
    // error. A task that already ended is left alone (another orchestrator got there first).
    result<void> operator()(const input::expire& in)
    {
        if (is_terminal(state_))
            return {};
        for (std::uint32_t i = 0; i < states().size(); ++i) {
            const auto st = states()[i];
            if (!steps_[i].created || !(is_in_flight(st) || st == step_state::waiting_for_retry))
                continue;
            if (auto r = move_step(i, step_event::expire); !r)
                return r;
            out_.failed_steps.push_back(i);
        }
        if (auto r = move_task(task_event::expire); !r)
            return r;
        out_.dead_letter = in.dead_letter;
        out_.cause = dead_letter_cause::staleness;
        out_.stale_reason = in.reason;
        if (!in.dead_letter)
            out_.failed_steps.clear();
        return {};
    }

private:
    std::vector<step_state>& states() { return out_.working_states; }

    const step_template& step_of(std::uint32_t i) const
    {
        return tmpl_.steps[steps_[i].definition_or(i)];
    }

    // Each result moves its step; then the task, if any step moved, is evaluated once:
    // `step_failed` if any of them failed, else `step_completed`.
    result<void> results(std::span<const input::step_result> in)
    {
        if (is_terminal(state_))
            return {};
        bool moved = false, failed = false;
        for (const auto& one : in) {
            auto r = move_for_result(one);
            if (!r)
                return r.error();
            if (*r == result_move::none)
                continue;
            moved = true;
            failed = failed || *r == result_move::failed;
        }
        if (!moved)
            return {};
        if (state_ == task_state::blocked_by_failures)
            return give_up_if_idle();
        if (auto r = move_task(failed ? task_event::step_failed : task_event::step_completed); !r)
            return r;
        return evaluate(/*retry_waiting=*/false);
    }

    enum class result_move : std::uint8_t { none, completed, failed };

    // A step's result: complete it, or schedule its retry, or give it up. Late results (of
    // an earlier attempt) and duplicates (already processed) move nothing.
    result<result_move> move_for_result(const input::step_result& in)
    {
        if (in.step >= steps_.size())
            return result_move::none;
        const auto& s = steps_[in.step];
        if (s.attempts != in.attempt)
            return result_move::none;
        if (states()[in.step] == step_state::enqueued_for_orchestration) {
            const auto type = step_of(in.step).type;
            if (graph_ && (type == step_type::decision || type == step_type::batchable))
                return complete_creator(in.step, type);
            if (auto r = move_step(in.step, step_event::complete); !r)
                return r.error();
            return result_move::completed;
        }
        if (states()[in.step] != step_state::enqueued_as_error_for_orchestration)
            return result_move::none;
        const auto& policy = step_of(in.step).effective_retry;
        if (may_retry(policy, s.attempts, s.last_error)) {
            if (auto r = move_step(in.step, step_event::wait_for_retry); !r)
                return r.error();
            const auto delay = backoff_delay(policy, s.attempts, s.retry_after, unit_random(random_, in.step));
            send(outgoing_queue::orchestration, message_kind::retry_due, in.step, s.attempts, delay);
        } else if (auto r = move_step(in.step, step_event::give_up); !r) {
            return r.error();
        }
        return result_move::failed;
    }

    result<void> move_task(task_event e)
    {
        auto to = task_machine::next(state_, e);
        if (!to)
            return to.error();
        out_.task_changes.push_back({state_, *to, e, next_seq_++});
        // Reopened or resolved by hand: the investigation of its dead letter is over.
        if (state_ == task_state::error && (e == task_event::reset || e == task_event::manual_resolution))
            out_.closes_dead_letter = dead_letter_status::manually_resolved;
        state_ = *to;
        return {};
    }

    result<void> move_step(std::uint32_t i, step_event e)
    {
        auto to = step_machine::next(states()[i], e);
        if (!to) {
            auto err = to.error();
            err.message = "step '" + step_of(i).name + "': " + err.message;
            return err;
        }
        out_.step_changes.push_back({i, states()[i], *to, e, next_seq_++});
        states()[i] = *to;
        return {};
    }

    void send(outgoing_queue to, message_kind kind, std::uint32_t step, std::uint32_t attempt, duration delay = {})
    {
        out_.messages.push_back({to, message{kind, step, attempt, task_}, delay});
    }

    // Enqueues a step (from pending or waiting_for_retry) and sends its worker message for
    // the next attempt.
    result<void> enqueue(std::uint32_t i, step_event e)
    {
        if (auto r = move_step(i, e); !r)
            return r;
        // A step reset in this decision counts its attempts from zero again.
        const bool reset = std::find(reset_steps_.begin(), reset_steps_.end(), i) != reset_steps_.end();
        const std::uint32_t done = reset ? 0 : steps_[i].attempts;
        send(outgoing_queue::worker, message_kind::step_ready, i, done + 1);
        return {};
    }

    result<void> check_step(std::uint32_t i) const
    {
        if (i >= steps_.size())
            return error{errc::step_not_found, "the template has " + std::to_string(steps_.size()) + " steps"};
        return {};
    }

    result<void> check_open_for_operator() const
    {
        switch (state_) {
        case task_state::complete:
        case task_state::cancelled:
        case task_state::resolved_manually:
            return error{errc::illegal_transition,
                         "task is " + std::string(to_string(state_)) + ": its steps can no longer change"};
        default: return {};
        }
    }

    // After an operator resolved or reset a step: restart a task that ended in error,
    // unblock a blocked one once no step is left in error, or re-evaluate a running one.
    result<void> resume_after_operator(std::optional<task_event> running_event)
    {
        if (state_ == task_state::error) {
            if (any_in(step_state::error))
                return {}; // still failed: stays in error until every failed step is handled
            if (auto r = move_task(task_event::reset); !r)
                return r;
            if (auto r = move_task(task_event::start); !r)
                return r;
            return evaluate(/*retry_waiting=*/true);
        }
        if (state_ == task_state::blocked_by_failures) {
            if (any_in(step_state::error))
                return {};
            if (auto r = move_task(task_event::failures_resolved); !r)
                return r;
            return evaluate(/*retry_waiting=*/true);
        }
        if (!running_event)
            return {};
        if (auto r = move_task(*running_event); !r)
            return r;
        return evaluate(/*retry_waiting=*/false);
    }

    bool any_in(step_state s)
    {
        for (auto st : states())
            if (st == s)
                return true;
        return false;
    }

    // While blocked, in-flight steps finish; once none is left the task gives up.
    result<void> give_up_if_idle()
    {
        for (auto s : states())
            if (is_in_flight(s))
                return {};
        return give_up();
    }

    result<void> give_up()
    {
        if (auto r = move_task(task_event::give_up); !r)
            return r;
        out_.dead_letter = true;
        bool permanent = false;
        for (std::uint32_t i = 0; i < states().size(); ++i)
            if (states()[i] == step_state::error) {
                out_.failed_steps.push_back(i);
                permanent = permanent || steps_[i].last_error == error_kind::permanent || refused(i);
            }
        out_.cause = permanent ? dead_letter_cause::permanent_failure : dead_letter_cause::retries_exhausted;
        return {};
    }

    bool refused(std::uint32_t i) const
    {
        for (const auto& r : out_.refused_results)
            if (r.first == i)
                return true;
        return false;
    }

    // What `evaluate` counts over the steps a task has.
    struct step_tally {
        std::uint32_t blocking_errors = 0; ///< failed steps that fail the task
        std::uint32_t in_flight = 0;
        std::uint32_t waiting = 0;   ///< for a retry
        std::uint32_t satisfied = 0; ///< count as done for their dependents
        std::uint32_t existing = 0;
        /// Templates with batch steps: per template step, its steps enqueued, running or
        /// waiting for a retry (the parallelism of a batch). Empty otherwise.
        std::vector<std::uint32_t> running;
    };

    step_tally tally()
    {
        step_tally t;
        if (!graph_) {
            for (auto s : states()) {
                t.blocking_errors += s == step_state::error;
                t.in_flight += is_in_flight(s);
                t.waiting += s == step_state::waiting_for_retry;
                t.satisfied += satisfies_dependencies(s);
            }
            t.existing = static_cast<std::uint32_t>(states().size());
            return t;
        }
        const auto& g = *graph_;
        t.running.assign(tmpl_.steps.size(), 0);
        for (std::uint32_t i = 0; i < states().size(); ++i) {
            if (!steps_[i].created)
                continue;
            const auto s = states()[i];
            const bool satisfied = g.satisfies(i, states());
            ++t.existing;
            t.blocking_errors += s == step_state::error && !satisfied && !g.failure_contained(i);
            t.in_flight += is_in_flight(s);
            t.waiting += s == step_state::waiting_for_retry;
            t.satisfied += satisfied;
            if (is_in_flight(s) || s == step_state::waiting_for_retry)
                ++t.running[g.definition(i)];
        }
        return t;
    }

    // Whether pending step `i` starts now: its dependencies are met (as the template's graph,
    // or for a template with decision or batch steps the task's graph, has them), and a batch
    // worker's batch runs fewer workers than its parallelism.
    bool starts_now(std::uint32_t i, step_tally& t)
    {
        if (!graph_)
            return tmpl_.graph.is_ready(i, states());
        const auto& g = *graph_;
        if (!steps_[i].created || states()[i] != step_state::pending || !g.dependencies_met(i, states()))
            return false;
        if (g.step(i).type == step_type::batch_worker) {
            const auto def = g.definition(i);
            const auto bound = batch_policy_of(tmpl_, def).parallelism;
            if (bound > 0 && t.running[def] >= bound)
                return false;
            ++t.running[def];
        }
        return true;
    }

    // From initializing or evaluating_results: where the task goes next, and which steps
    // start. `retry_waiting` re-enqueues steps waiting for a retry whose timer may have
    // been dropped while the task was blocked or in error. Failed batch workers whose
    // strategy contains their failure let the others go on.
    result<void> evaluate(bool retry_waiting)
    {
        auto t = tally();
        if (t.blocking_errors > 0) {
            if (auto r = move_task(task_event::permanent_failure); !r)
                return r;
            return t.in_flight == 0 ? give_up() : result<void>{};
        }
        if (t.satisfied == t.existing)
            return move_task(task_event::all_steps_successful);

        bool found = false;
        const auto n = static_cast<std::uint32_t>(states().size());
        for (std::uint32_t i = 0; i < n; ++i) {
            const bool retry = retry_waiting && states()[i] == step_state::waiting_for_retry;
            if (!retry && !starts_now(i, t))
                continue;
            if (!found) {
                if (auto r = move_task(task_event::ready_steps_found); !r)
                    return r;
                found = true;
            }
            if (auto r = enqueue(i, retry ? step_event::retry : step_event::enqueue); !r)
                return r;
        }
        if (found)
            return move_task(task_event::steps_enqueued);
        if (t.in_flight > 0)
            return move_task(task_event::no_dependencies_ready);
        if (t.waiting > 0)
            return move_task(task_event::retry_scheduled);
        // Nothing can run: failed batches whose failure was contained left the rest unable to
        // finish, or (unreachable for a valid graph) nothing failed at all.
        if (auto r = move_task(task_event::permanent_failure); !r)
            return r;
        return give_up();
    }

    // A decision or batchable step's success: the steps its outcome creates, created before
    // the step completes; a wrong outcome fails the step permanently instead, with why.
    result<result_move> complete_creator(std::uint32_t i, step_type type)
    {
        const json::value* recorded = results_ ? results_(i) : nullptr;
        const json::value none;
        creation_plan plan;
        if (type == step_type::decision) {
            auto outcome = decision_outcome_of(recorded ? *recorded : none);
            plan = outcome ? plan_decision(*graph_, i, *outcome) : creation_plan(outcome.error().message);
        } else {
            auto outcome = batch_outcome_of(recorded ? *recorded : none);
            plan = outcome ? plan_batches(*graph_, i, *outcome) : creation_plan(outcome.error().message);
        }
        if (const auto* why = std::get_if<std::string>(&plan)) {
            if (auto r = move_step(i, step_event::refuse); !r)
                return r.error();
            out_.refused_results.push_back(
                {i, step_failure{error_kind::permanent, "outcome refused: " + *why, std::nullopt, steps_[i].attempts}});
            return result_move::failed;
        }
        for (auto& c : std::get<std::vector<created_step>>(plan))
            if (auto r = create(std::move(c)); !r)
                return r.error();
        graph_.emplace(tmpl_, steps_);
        if (auto r = move_step(i, step_event::complete); !r)
            return r.error();
        return result_move::completed;
    }

    // Adds a created step: a template step that did not exist yet, or a worker after the
    // last step. A no-op worker (no batches) completes at once.
    result<void> create(created_step c)
    {
        const auto i = c.step;
        if (i >= out_.working_steps.size()) {
            step_status s;
            s.definition = c.definition;
            out_.working_steps.push_back(s);
            states().push_back(step_state::pending);
        }
        out_.working_steps[i].created = true;
        steps_ = out_.working_steps;
        const bool no_op = c.input && c.input->is_object() && c.input->as_object().contains("batch_id") &&
                           c.input->as_object().at("batch_id") == "no_op";
        out_.created_steps.push_back(std::move(c));
        if (auto r = move_step(i, step_event::create); !r)
            return r;
        return no_op ? move_step(i, step_event::skip) : result<void>{};
    }


    const task_template& tmpl_;
    const task_id& task_;
    task_state state_;
    std::span<const step_status> steps_;
    std::uint64_t random_;
    decision& out_;
    const result_lookup& results_;
    std::optional<task_graph> graph_;
    std::vector<std::uint32_t> reset_steps_; // steps an operator reset in this decision
    std::uint32_t next_seq_ = 0;
};

} // namespace

result<void> decide(const task_template& tmpl, const task_id& task, task_state state, std::span<const step_status> steps,
                    const decision_input& in, std::uint64_t random, decision& out, const result_lookup& results)
{
    decider d(tmpl, task, state, steps, random, out, results);
    auto r = std::visit(d, in);
    if (!r)
        out.clear();
    return r;
}

} // namespace tasker
