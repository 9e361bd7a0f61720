#pragma once
// Internal to tasker's PostgreSQL backends (never installed).

#include <string>

namespace tasker::pq {

/// `text` with the password of any connection URI in it (`postgresql://user:secret@host`) and
/// any `password=` value (of a keyword connection string or a URI query) replaced by "***":
/// for messages and logs that name a connection URL, or quote libpq's complaints about one.
std::string redact(const std::string& text);

} // namespace tasker::pq
