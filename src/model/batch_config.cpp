#include <tasker/model/batch_config.hpp>

#include "name_table.hpp"

#include <ostream>
#include <utility>

namespace tasker {

namespace {

constexpr std::pair<batch_failure_strategy, std::string_view> strategy_names[] = {
    {batch_failure_strategy::fail_fast, "fail_fast"},
    {batch_failure_strategy::continue_on_failure, "continue_on_failure"},
    {batch_failure_strategy::isolate, "isolate"},
};

} // namespace

std::string_view to_string(batch_failure_strategy s) noexcept { return detail::name_in(strategy_names, s); }

std::optional<batch_failure_strategy> batch_failure_strategy_from_string(std::string_view s) noexcept
{
    return detail::value_in(strategy_names, s);
}

std::ostream& operator<<(std::ostream& os, batch_failure_strategy s) { return os << to_string(s); }

} // namespace tasker
