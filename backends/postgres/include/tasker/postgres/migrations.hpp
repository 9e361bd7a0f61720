#pragma once

#include <tasker/error.hpp>

#include <string>
#include <vector>

namespace tasker::postgres {

/// Brings the database at `connection_url` up to date with the SQL files of `migrations_dir`.
///
/// Files named `NNNN_name.sql` (four digits, then `[a-z0-9_]+`) are applied in the order of
/// their numbers; other files are ignored, and a `.sql` file with another name is an error
/// (a typo must not silently skip a migration). Each file runs in its own transaction together
/// with its row in `schema_migrations(version, applied_at)` (created if missing, in the
/// connection's default schema), so a file is applied entirely and recorded, or not at all.
/// A file must therefore not contain transaction control or statements that cannot run inside
/// a transaction block (e.g. `CREATE INDEX CONCURRENTLY`).
///
/// Applied files (by name, without `.sql`) are skipped. Any number of processes may migrate
/// one database at once: each transaction first takes a fixed transaction-level advisory lock
/// and then checks `schema_migrations`, so each file is applied exactly once.
///
/// @returns the names of the migrations this call applied, in order (empty when up to date).
/// Errors: `errc::backend_unavailable` when the server cannot be reached or the connection
/// breaks (the message names host, port and database, never the password);
/// `errc::database_error` when a migration's SQL fails (the message names the file and carries
/// the server's message; nothing of that file is kept, earlier files stay applied) or when a
/// migration number is recorded under another name; `errc::invalid_name` when the directory
/// cannot be read or holds a misnamed or duplicate-numbered `.sql` file.
///
/// Blocking; meant for process start and tools (see `tasker-migrate`).
///
/// @par Example
/// @code
/// auto applied = tasker::postgres::migrate("postgresql://tasker@db/tasker", "/usr/share/tasker/migrations");
/// if (!applied)
///     return fail(applied.error());
/// for (const auto& name : *applied)
///     log("applied " + name);
/// @endcode
result<std::vector<std::string>> migrate(const std::string& connection_url, const std::string& migrations_dir);

/// The names of the migrations recorded in the database at `url`, in order; empty when it has
/// never been migrated. Errors as for `migrate`.
result<std::vector<std::string>> applied_migrations(const std::string& url);

} // namespace tasker::postgres
