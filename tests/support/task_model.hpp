#pragma once
// A task as the decision core sees it, kept by the test in the store's place: decisions are
// applied to it as a store applies them, and workers' claims and results are played on it.

#include <tasker/core/decision.hpp>

#include "support/catch.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tasker::test {

// Plays the store's part: keeps a task's state and applies decisions to it.
struct task_model {
    template_ptr tmpl;
    task_id id = uuid::v7(std::chrono::system_clock::now(), 1, 2);
    task_state state = task_state::pending;
    std::vector<step_status> steps;
    decision d;
    std::uint64_t random = 42;

    explicit task_model(template_ptr t) : tmpl(std::move(t)), steps(tmpl->steps.size()) {}

    result<void> run(const decision_input& in)
    {
        auto r = decide(*tmpl, id, state, steps, in, random, d);
        if (!r)
            return r;
        for (const auto& c : d.task_changes) {
            REQUIRE(c.from == state);
            state = c.to;
        }
        for (const auto& c : d.step_changes) {
            REQUIRE(steps[c.step].state == c.from);
            apply_step_change(steps[c.step], c);
        }
        return r;
    }

    std::uint32_t index(const std::string& name) const { return *tmpl->step_index(name); }

    // What a worker does: claim the attempt, then succeed or fail it.
    void claim(const std::string& name)
    {
        auto& s = steps[index(name)];
        REQUIRE(s.state == step_state::enqueued);
        s.state = step_state::in_progress;
        ++s.attempts;
    }
    void succeed(const std::string& name)
    {
        claim(name);
        steps[index(name)].state = step_state::enqueued_for_orchestration;
        REQUIRE(run(input::step_result{index(name), steps[index(name)].attempts}));
    }
    void fail(const std::string& name, error_kind kind, std::optional<duration> retry_after = std::nullopt)
    {
        claim(name);
        auto& s = steps[index(name)];
        s.state = step_state::enqueued_as_error_for_orchestration;
        s.last_error = kind;
        s.retry_after = retry_after;
        REQUIRE(run(input::step_result{index(name), s.attempts}));
    }

    // Workers finished these steps' attempts (true: succeeded); their results are then
    // processed together, as one orchestration pass does for results that came in together.
    result<void> finish_together(const std::vector<std::pair<std::string, bool>>& finished)
    {
        input::step_result_batch in;
        for (const auto& [name, ok] : finished) {
            claim(name);
            auto& s = steps[index(name)];
            s.state = ok ? step_state::enqueued_for_orchestration : step_state::enqueued_as_error_for_orchestration;
            s.last_error = error_kind::retryable;
            in.results.push_back({index(name), s.attempts});
        }
        return run(in);
    }

    std::vector<task_event> task_events() const
    {
        std::vector<task_event> out;
        for (const auto& c : d.task_changes)
            out.push_back(c.event);
        return out;
    }

    std::vector<task_state> task_path() const
    {
        std::vector<task_state> out;
        for (const auto& c : d.task_changes)
            out.push_back(c.to);
        return out;
    }
    std::vector<std::uint32_t> messaged(message_kind kind) const
    {
        std::vector<std::uint32_t> out;
        for (const auto& m : d.messages)
            if (m.msg.kind == kind)
                out.push_back(m.msg.step);
        return out;
    }
};

} // namespace tasker::test
