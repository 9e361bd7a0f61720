#pragma once

#include <tasker/error.hpp>

#include <cstddef>
#include <string_view>

namespace tasker {

/// Names end up in queue names, SQL identifiers and URLs, so they follow one strict
/// pattern, checked before any backend sees them: a lower-case letter, then lower-case
/// letters, digits or '_'. Anything else (quotes, ';', '--', spaces, '$') is rejected.
inline constexpr std::size_t max_namespace_length = 40; ///< "worker_" + 40 fits pgmq's 48
inline constexpr std::size_t max_name_length = 64;      ///< template and step names

/// True if `s` matches `[a-z][a-z0-9_]*` and is at most `max_length` long.
bool is_valid_identifier(std::string_view s, std::size_t max_length) noexcept;

/// `errc::invalid_name` saying which rule `s` breaks; `what` names the thing ("namespace").
result<void> check_identifier(std::string_view s, std::size_t max_length, std::string_view what);

inline result<void> check_namespace_name(std::string_view s)
{
    return check_identifier(s, max_namespace_length, "namespace");
}

} // namespace tasker
