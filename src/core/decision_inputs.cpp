// Building the decision core's inputs: from a batch of orchestration messages, and from an
// operator's action (step names resolved to indexes, the operator's origin checked).
#include <tasker/core/decision.hpp>

#include <string>
#include <unordered_map>

namespace tasker {

std::vector<task_inputs> orchestration_inputs(std::span<const message* const> events)
{
    std::vector<task_inputs> out;
    std::unordered_map<task_id, std::size_t> slot; // task -> its entry in `out`
    for (const message* m : events) {
        if (m->kind != message_kind::step_result && m->kind != message_kind::retry_due)
            continue;
        auto [it, fresh] = slot.try_emplace(m->task, out.size());
        if (fresh)
            out.push_back({m->task, {}});
        auto& inputs = out[it->second].inputs;
        if (m->kind == message_kind::retry_due) {
            inputs.emplace_back(input::retry_due{m->step, m->attempt});
            continue;
        }
        const input::step_result one{m->step, m->attempt};
        if (!inputs.empty()) {
            if (auto* run = std::get_if<input::step_result_batch>(&inputs.back())) {
                run->results.push_back(one);
                continue;
            }
        }
        inputs.emplace_back(input::step_result_batch{{one}});
    }
    return out;
}

result<decision_input> operator_input(const task_template& tmpl, const task_id& task, const operator_action& a,
                                      std::span<const std::string> step_names)
{
    const auto step_index = [&](const std::string& name) -> result<std::uint32_t> {
        if (!step_names.empty()) {
            for (std::uint32_t i = 0; i < step_names.size(); ++i)
                if (!name.empty() && step_names[i] == name)
                    return i;
        } else if (auto i = tmpl.step_index(name)) {
            return *i;
        }
        return error{errc::step_not_found, "task " + task.to_string() + " has no step '" + name + "'"};
    };
    if (std::holds_alternative<action::cancel>(a))
        return input::cancel{};
    if (const auto* resolve = std::get_if<action::resolve_step>(&a)) {
        auto i = step_index(resolve->step);
        if (!i)
            return i.error();
        return input::resolve_step{*i};
    }
    if (const auto* reset = std::get_if<action::reset_step>(&a)) {
        auto i = step_index(reset->step);
        if (!i)
            return i.error();
        return input::reset_step{*i};
    }
    if (const auto* complete = std::get_if<action::complete_step>(&a)) {
        auto i = step_index(complete->step);
        if (!i)
            return i.error();
        return input::complete_step{*i};
    }
    if (std::holds_alternative<action::retry_failed>(a))
        return input::retry_failed{};
    return input::resolve_task{};
}

result<void> check_operator_origin(const change_origin& who)
{
    if (who.actor.empty())
        return error{errc::invalid_request, "an operator action must name its actor (who does it)"};
    if (who.actor.size() > max_actor_length)
        return error{errc::invalid_request, "actor is " + std::to_string(who.actor.size()) + " bytes, more than " +
                                                std::to_string(max_actor_length)};
    if (who.reason.size() > max_reason_length)
        return error{errc::invalid_request, "reason is " + std::to_string(who.reason.size()) + " bytes, more than " +
                                                std::to_string(max_reason_length)};
    return {};
}

std::optional<std::pair<std::uint32_t, json_ptr>> resolved_step_result(const decision_input& in,
                                                                        const operator_action& a)
{
    if (const auto* step = std::get_if<input::resolve_step>(&in))
        if (const auto* resolve = std::get_if<action::resolve_step>(&a))
            return std::pair{step->step, resolve->result};
    if (const auto* step = std::get_if<input::complete_step>(&in))
        if (const auto* complete = std::get_if<action::complete_step>(&a))
            return std::pair{step->step, complete->result};
    return std::nullopt;
}

} // namespace tasker
