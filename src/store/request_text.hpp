#pragma once
// The rules of the text a submitter writes in a task request or a listing's filter: shared by
// `check_request_fields` and `check_filter`, so both say the same thing about the same value.

#include <tasker/error.hpp>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace tasker::detail {

/// The problem with `text`, the value of the field called `field`, unless it is UTF-8 without
/// control characters and at most `max_bytes` long.
std::optional<problem> check_request_text(std::string_view field, std::string_view text, std::size_t max_bytes);

/// The problem with `tag`, unless it is 1 to `request_limits::tag_bytes` of
/// `A-Z a-z 0-9 _ - . : / = @`.
std::optional<problem> check_tag(std::string_view field, std::string_view tag);

/// `errc::invalid_request` for `problems` (not empty): "<what> has 2 problems", each of them
/// located (as `validate_template` and input schemas report theirs).
error invalid_request(std::string_view what, std::vector<problem> problems);

} // namespace tasker::detail
