#include <tasker/core/retention.hpp>

#include <ostream>
#include <string>

namespace tasker {

std::string_view to_string(retention_mode m) noexcept
{
    return m == retention_mode::archive ? "archive" : "delete";
}

std::optional<retention_mode> retention_mode_from_string(std::string_view s) noexcept
{
    if (s == "delete")
        return retention_mode::remove;
    if (s == "archive")
        return retention_mode::archive;
    return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, retention_mode m)
{
    return os << to_string(m);
}

result<void> check_retention(const retention_pass& p)
{
    if (p.finished_for < std::chrono::seconds(1))
        return error{errc::invalid_request,
                     "retention keeps finished tasks at least one second, not " +
                         std::to_string(std::chrono::duration_cast<milliseconds>(p.finished_for).count()) + " ms"};
    if (p.batch < 1 || p.batch > 10000)
        return error{errc::invalid_request,
                     "a retention batch takes 1 to 10000 tasks, not " + std::to_string(p.batch)};
    return {};
}

time_point retention_cutoff(const retention_pass& p, time_point now) noexcept
{
    return p.as_of.value_or(now) - p.finished_for;
}

uuid retention_id_bound(time_point cutoff) noexcept
{
    return uuid::v7(cutoff + retention_clock_margin, 0, 0);
}

} // namespace tasker
