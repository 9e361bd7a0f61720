#include <tasker/engine/step_context.hpp>

#include <algorithm>
#include <string>

namespace tasker {

std::uint32_t step_context::max_attempts() const noexcept
{
    const auto& p = step().effective_retry;
    return p.retryable ? std::max<std::uint32_t>(p.max_attempts, 1) : 1;
}

const json::value* step_context::result_of(std::string_view name) const noexcept
{
    for (const auto& [index, value] : claim_.ancestor_results)
        if (claim_.tmpl->steps[index].name == name)
            return &deref(value);
    return nullptr;
}

const logger& step_context::log() const
{
    if (!step_log_) {
        const std::string task = claim_.ref.task.to_string();
        step_log_ = base_log_.with("correlation_id=" + (claim_.correlation_id.empty() ? task : claim_.correlation_id) +
                                   " task=" + task + " step=" + std::string(step_name()) +
                                   " attempt=" + std::to_string(claim_.attempt));
    }
    return *step_log_;
}

} // namespace tasker
