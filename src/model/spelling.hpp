#pragma once
// Near misses: which known word a mistyped one was probably meant to be.

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace tasker::detail {

/// The word of `known` closest to `word` by edit distance, if it is at most `max_distance`
/// edits away (the first of equally close ones).
std::optional<std::string_view> closest_spelling(std::string_view word, std::span<const std::string_view> known,
                                                 std::size_t max_distance);

} // namespace tasker::detail
