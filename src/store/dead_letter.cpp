#include <tasker/store/dead_letter.hpp>

#include <ostream>

namespace tasker {

namespace {

constexpr std::string_view cause_names[dead_letter_cause_count] = {"retries_exhausted", "permanent_failure",
                                                                   "staleness"};
constexpr std::string_view status_names[dead_letter_status_count] = {
    "pending", "investigating", "manually_resolved", "permanently_failed", "cancelled"};

} // namespace

std::string_view to_string(dead_letter_cause c) noexcept
{
    const auto i = static_cast<std::size_t>(c);
    return i < dead_letter_cause_count ? cause_names[i] : "unknown";
}

std::string_view to_string(dead_letter_status s) noexcept
{
    const auto i = static_cast<std::size_t>(s);
    return i < dead_letter_status_count ? status_names[i] : "unknown";
}

std::optional<dead_letter_cause> dead_letter_cause_from_string(std::string_view s) noexcept
{
    for (std::size_t i = 0; i < dead_letter_cause_count; ++i)
        if (cause_names[i] == s)
            return static_cast<dead_letter_cause>(i);
    return std::nullopt;
}

std::optional<dead_letter_status> dead_letter_status_from_string(std::string_view s) noexcept
{
    for (std::size_t i = 0; i < dead_letter_status_count; ++i)
        if (status_names[i] == s)
            return static_cast<dead_letter_status>(i);
    return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, dead_letter_cause c) { return os << to_string(c); }
std::ostream& operator<<(std::ostream& os, dead_letter_status s) { return os << to_string(s); }

std::uint64_t dead_letter_counts::of(dead_letter_status s) const noexcept
{
    std::uint64_t n = 0;
    for (const auto& row : by)
        n += row[static_cast<std::size_t>(s)];
    return n;
}

std::uint64_t dead_letter_counts::of(dead_letter_cause c) const noexcept
{
    std::uint64_t n = 0;
    for (auto v : by[static_cast<std::size_t>(c)])
        n += v;
    return n;
}

std::uint64_t dead_letter_counts::total() const noexcept
{
    std::uint64_t n = 0;
    for (const auto& row : by)
        for (auto v : row)
            n += v;
    return n;
}

} // namespace tasker
