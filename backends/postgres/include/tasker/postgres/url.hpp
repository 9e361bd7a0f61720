#pragma once

#include <string>

namespace tasker::postgres {

/// `connection_url` pointing at database `dbname` instead of its own, everything else kept.
///
/// A URI (`postgresql://` or `postgres://`) gets `dbname`, percent-encoded, as its path, and
/// loses any `dbname=` query parameter (libpq would let it win over the path). A `key=value`
/// connection string gets a trailing `dbname=`, quoted where libpq needs it: libpq lets a later
/// keyword override an earlier one. An empty string (libpq's defaults) becomes `dbname=...`.
///
/// @par Example
/// @code
/// with_database("postgresql://u@h:5432/postgres?sslmode=disable", "app")
///     == "postgresql://u@h:5432/app?sslmode=disable"
/// @endcode
std::string with_database(const std::string& connection_url, const std::string& dbname);

} // namespace tasker::postgres
