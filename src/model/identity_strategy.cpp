#include <tasker/model/identity_strategy.hpp>

#include <tasker/model/canonical_json.hpp>

#include "name_table.hpp"

#include <ostream>
#include <utility>

namespace tasker {

namespace {

constexpr std::pair<identity_strategy, std::string_view> identity_strategy_names[] = {
    {identity_strategy::strict, "strict"},
    {identity_strategy::caller_provided, "caller_provided"},
    {identity_strategy::always_unique, "always_unique"},
};

} // namespace

std::string_view to_string(identity_strategy s) noexcept { return detail::name_in(identity_strategy_names, s); }

std::optional<identity_strategy> identity_strategy_from_string(std::string_view s) noexcept
{
    return detail::value_in(identity_strategy_names, s);
}

std::ostream& operator<<(std::ostream& os, identity_strategy s) { return os << to_string(s); }

result<std::string> identity_key_for(const template_key& key, std::optional<identity_strategy> strategy,
                                     std::string caller_key, const json::value& context)
{
    if (!strategy)
        return caller_key;
    const auto refuse = [&](std::string why) {
        return error{errc::invalid_request, "template '" + key.to_string() + "' has identity_strategy " +
                                                std::string(to_string(*strategy)) + ": " + std::move(why)};
    };
    switch (*strategy) {
    case identity_strategy::strict:
        if (!caller_key.empty())
            return refuse("its tasks are identified by a digest of their context, so an identity_key cannot be "
                          "given (leave it empty; the same context submitted again returns the same task)");
        return canonical_digest(context);
    case identity_strategy::caller_provided:
        if (caller_key.empty())
            return refuse("every task must be submitted with an identity_key");
        return caller_key;
    case identity_strategy::always_unique:
        if (!caller_key.empty())
            return refuse("every submission creates a task, so an identity_key cannot be given (leave it empty)");
        return std::string();
    }
    return caller_key;
}

} // namespace tasker
