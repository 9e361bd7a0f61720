#include <tasker/core/dead_letter_reason.hpp>

namespace tasker {

dead_letter_summary summarize_dead_letter(const task_template& tmpl, std::span<const step_status> steps,
                                          std::span<const std::uint32_t> failed,
                                          std::span<const step_failure* const> failures,
                                          std::span<const std::string> step_names)
{
    dead_letter_summary out;
    for (std::size_t k = 0; k < failed.size(); ++k) {
        const auto i = failed[k];
        const auto& name = i < step_names.size() && !step_names[i].empty()
                               ? step_names[i]
                               : tmpl.steps[steps[i].definition_or(i)].name;
        out.failed_steps.push_back(name);
        if (!out.reason.empty())
            out.reason += "; ";
        out.reason += "step '" + name + "' failed";
        if (const auto* f = k < failures.size() ? failures[k] : nullptr) {
            const auto attempts = steps[i].attempts;
            out.reason += " after " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") + " (" +
                          std::string(to_string(f->kind)) + "): " + f->message;
        }
    }
    return out;
}

} // namespace tasker
