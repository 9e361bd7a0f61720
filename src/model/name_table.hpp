#pragma once
// An enum's names as one table, read both ways: to_string and from_string of the model's enums
// are written from it.

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace tasker::detail {

template <class Enum, std::size_t N>
constexpr std::string_view name_in(const std::pair<Enum, std::string_view> (&table)[N], Enum value) noexcept
{
    for (const auto& [e, name] : table)
        if (e == value)
            return name;
    return "unknown";
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> value_in(const std::pair<Enum, std::string_view> (&table)[N], std::string_view name) noexcept
{
    for (const auto& [e, n] : table)
        if (n == name)
            return e;
    return std::nullopt;
}

} // namespace tasker::detail
