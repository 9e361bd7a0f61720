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
    for (std::size_t k = 0; k < claim_.ancestor_results.size(); ++k)
        if (ancestor_name(k) == name)
            return &deref(claim_.ancestor_results[k].second);
    return nullptr;
}

std::optional<batch_cursor> step_context::batch() const
{
    if (!claim_.input)
        return std::nullopt;
    auto c = batch_cursor_of(*claim_.input);
    return c ? std::optional(std::move(*c)) : std::nullopt;
}

std::optional<batch_checkpoint> step_context::last_checkpoint() const
{
    if (!claim_.checkpoint)
        return std::nullopt;
    auto c = batch_checkpoint_of(*claim_.checkpoint);
    return c ? std::optional(std::move(*c)) : std::nullopt;
}

result<void> step_context::checkpoint(const batch_checkpoint& progress) const
{
    if (!claim_.input)
        return error{errc::illegal_transition, "step '" + std::string(step_name()) +
                                                   "' is no batch worker: only batch workers checkpoint"};
    if (!write_checkpoint_)
        return error{errc::illegal_transition, "step '" + std::string(step_name()) +
                                                   "' cannot checkpoint here: no worker runs it"};
    return write_checkpoint_(progress);
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
