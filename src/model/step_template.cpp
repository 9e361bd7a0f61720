#include <tasker/model/json_schema.hpp>
#include <tasker/model/step_template.hpp>

#include "name_table.hpp"

#include <ostream>
#include <string>
#include <utility>

namespace tasker {

namespace {

constexpr std::pair<step_type, std::string_view> step_type_names[] = {
    {step_type::standard, "standard"},
    {step_type::decision, "decision"},
    {step_type::deferred_convergence, "deferred_convergence"},
    {step_type::batchable, "batchable"},
    {step_type::batch_worker, "batch_worker"},
};

} // namespace

std::string_view to_string(step_type t) noexcept { return detail::name_in(step_type_names, t); }

std::optional<step_type> step_type_from_string(std::string_view s) noexcept
{
    return detail::value_in(step_type_names, s);
}

std::ostream& operator<<(std::ostream& os, step_type t) { return os << to_string(t); }

result<void> check_result(const step_template& step, const json::value& result)
{
    if (!step.compiled_result_schema)
        return {};
    auto problems = step.compiled_result_schema->violations(result);
    if (problems.empty())
        return {};
    const auto n = problems.size();
    std::string message = "the result of step '" + step.name + "' does not match its result_schema (" +
                          std::to_string(n) + (n == 1 ? " violation): " : " violations): ");
    for (std::size_t i = 0; i < n; ++i)
        message += (i ? "; " : "") + problems[i].path + ": " + problems[i].message;
    return error{errc::invalid_result, std::move(message), std::move(problems)};
}

} // namespace tasker
