#include "template_keys.hpp"

#include "spelling.hpp"

#include <algorithm>

namespace tasker::detail {

bool contains(keys ks, std::string_view k) { return std::find(ks.begin(), ks.end(), k) != ks.end(); }

std::string unknown_key_message(std::string_view key, std::string_view where, keys known)
{
    std::string message = "unknown key '" + std::string(key) + "' in " + std::string(where);
    if (auto best = closest_spelling(key, known, 2)) // only close misspellings
        message += " (did you mean '" + std::string(*best) + "'?)";
    return message;
}

} // namespace tasker::detail
