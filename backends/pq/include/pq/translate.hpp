#pragma once
// Internal to tasker's PostgreSQL backends (never installed): the one place where libpqxx's
// exceptions become `tasker::error`s.

#include <tasker/error.hpp>

#include <exception>
#include <string_view>

namespace tasker::pq {

/// Turns whatever libpqxx threw into a `tasker::error`, the message starting with `doing`.
///
/// `code` is what the engine branches on: `backend_unavailable` for connection trouble (a
/// connection lost or refused, a commit of unknown outcome) and for every other SQLSTATE
/// `postgres::sqlstate_category()` calls transient (class 08, class 53, 57P01-57P03);
/// `state_conflict` for a serialization failure or a deadlock (40001, 40P01) — all three
/// transient; `database_error` for anything else.
///
/// `origin` is the SQLSTATE in `postgres::sqlstate_category()` whenever the server sent one
/// (libpqxx 6 drops the SQLSTATE from the exceptions it has a type for, 40000, 40001, 40003,
/// 40P01 and 53300: the type names it); empty when the client itself lost or could not make
/// the connection, or the exception is not libpqxx's. `code` and `origin` map onto the same
/// `tasker::condition`.
///
/// The message names the SQLSTATE and its condition ("SQLSTATE 42601 (syntax_error)") and
/// carries the server's text, its LINE and caret context included, without trailing white
/// space.
error translate(const std::exception& e, std::string_view doing);

} // namespace tasker::pq
