#pragma once
// The PostgreSQL backends' own error codes, carried in `tasker::error::origin`: the SQLSTATE
// the server reported. `error::code` stays a core `tasker::errc` (`backend_unavailable`,
// `state_conflict`, `database_error`), which the engine branches on; `origin` says exactly
// what the server said, for programs and people. Errors of tasker::postgres and tasker::pgmq
// both carry it.

#include <tasker/error.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace tasker::postgres {

/// The category of SQLSTATE codes ("tasker.postgres.sqlstate").
///
/// A code's value is its SQLSTATE read as a five-digit base-36 number ('0'-'9' are 0-9,
/// 'A'-'Z' 10-35), so each SQLSTATE has exactly one value and back; 00000, successful
/// completion, is 0, which `error_code` reads as "no error".
///
/// `message()` names the SQLSTATE and its condition, as PostgreSQL's documentation does:
/// "SQLSTATE 42601 (syntax_error)"; a state PostgreSQL 15 does not define gets its class:
/// "SQLSTATE 42P99 (class 42, syntax_error_or_access_rule_violation)".
///
/// Conditions: class 08 (connection exception), class 53 (insufficient resources), 57P01,
/// 57P02, 57P03 (the server shutting down or starting up), 40001 (serialization failure) and
/// 40P01 (deadlock detected) map onto `condition::transient`: the same operation may succeed
/// when tried again. Every other state maps onto `condition::permanent`.
const boost::system::error_category& sqlstate_category() noexcept;

/// True if `state` is a SQLSTATE: five characters, each a digit or an upper-case letter.
bool is_sqlstate(std::string_view state) noexcept;

/// The code of `state` in `sqlstate_category()`. Throws `std::invalid_argument`, quoting
/// `state`, when it is not a SQLSTATE (see `is_sqlstate`): "4260", "42p01".
boost::system::error_code make_sqlstate_code(std::string_view state);

/// The SQLSTATE `code` stands for, if it is in `sqlstate_category()`; empty otherwise.
std::optional<std::string> sqlstate(const boost::system::error_code& code);

/// The SQLSTATE PostgreSQL reported for `e` (its `origin`): e.g. "23505" for a unique
/// violation, "42601" for a syntax error in a migration. Empty when the error did not come
/// from the server: a connection the client lost or could not make, an error of the core.
///
/// @par Example
/// @code
/// auto applied = tasker::postgres::migrate(url, dir);
/// if (!applied && tasker::postgres::sqlstate(applied.error()) == "42501")
///     return fail("the migration role may not create tables here: " + applied.error().message);
/// @endcode
std::optional<std::string> sqlstate(const tasker::error& e);

} // namespace tasker::postgres
