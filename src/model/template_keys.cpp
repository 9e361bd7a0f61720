#include "template_keys.hpp"

#include <algorithm>
#include <cstddef>
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

bool contains(keys ks, std::string_view k) { return std::find(ks.begin(), ks.end(), k) != ks.end(); }

std::string unknown_key_message(std::string_view key, std::string_view where, keys known)
{
    std::string message = "unknown key '" + std::string(key) + "' in " + std::string(where);
    std::string_view best;
    std::size_t best_distance = 3; // suggest only close misspellings
    for (auto k : known)
        if (const auto d = edit_distance(key, k); d < best_distance)
            best = k, best_distance = d;
    if (!best.empty())
        message += " (did you mean '" + std::string(best) + "'?)";
    return message;
}

} // namespace tasker::detail
