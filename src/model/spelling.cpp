#include "spelling.hpp"

#include <algorithm>
#include <vector>

namespace tasker::detail {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

} // namespace

std::optional<std::string_view> closest_spelling(std::string_view word, std::span<const std::string_view> known,
                                                 std::size_t max_distance)
{
    std::optional<std::string_view> best;
    std::size_t best_distance = max_distance + 1;
    for (auto k : known)
        if (const auto d = edit_distance(word, k); d < best_distance)
            best = k, best_distance = d;
    return best;
}

} // namespace tasker::detail
