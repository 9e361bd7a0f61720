#pragma once
// Internal to tasker's PostgreSQL backends (never installed).

#include <string_view>

namespace tasker::pq {

/// PostgreSQL's condition name of `state`: "syntax_error" for 42601, "connection_exception"
/// for 08000 (each class's CC000 names the class). Empty for a state PostgreSQL 15 does not
/// define.
std::string_view sqlstate_name(std::string_view state) noexcept;

} // namespace tasker::pq
