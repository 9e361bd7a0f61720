#pragma once

#include <tasker/error.hpp>

#include <cstddef>
#include <string_view>

namespace tasker {

/// Names end up in queue names, SQL identifiers and URLs, so they follow one strict
/// pattern, checked before any backend sees them: a lower-case letter, then lower-case
/// letters, digits or '_'. Anything else (quotes, ';', '--', spaces, '$') is rejected.

/// The longest queue name pgmq accepts (`pgmq.validate_queue_name`): the identifiers it derives
/// from a queue name, up to `template_pgmq_q_<name>` for a partitioned queue, must fit
/// PostgreSQL's 63 bytes. Every backend's queues keep to it, so a template runs on any of them.
inline constexpr std::size_t max_queue_name_length = 47;
/// A namespace's workers read the queue `worker_<namespace>`.
inline constexpr std::string_view worker_queue_prefix = "worker_";
/// The longest namespace whose worker queue fits `max_queue_name_length`.
inline constexpr std::size_t max_namespace_length = max_queue_name_length - worker_queue_prefix.size();
inline constexpr std::size_t max_name_length = 64; ///< template and step names

/// True if `s` matches `[a-z][a-z0-9_]*` and is at most `max_length` long.
bool is_valid_identifier(std::string_view s, std::size_t max_length) noexcept;

/// `errc::invalid_name` saying which rule `s` breaks; `what` names the thing ("namespace").
result<void> check_identifier(std::string_view s, std::size_t max_length, std::string_view what);

/// `check_identifier` for a namespace; a name too long says that its worker queue would not fit.
result<void> check_namespace_name(std::string_view s);

} // namespace tasker
