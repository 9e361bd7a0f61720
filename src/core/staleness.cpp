#include <tasker/core/staleness.hpp>
#include <tasker/store/staleness_sweep.hpp>

#include <fmt/format.h>

#include <array>
#include <ostream>

namespace tasker {

std::string_view to_string(lifecycle_limit l) noexcept
{
    switch (l) {
    case lifecycle_limit::max_duration: return "max_duration";
    case lifecycle_limit::max_waiting_for_dependencies: return "max_waiting_for_dependencies";
    case lifecycle_limit::max_waiting_for_retry: return "max_waiting_for_retry";
    case lifecycle_limit::max_steps_in_process: return "max_steps_in_process";
    }
    return "unknown lifecycle_limit";
}

std::ostream& operator<<(std::ostream& os, lifecycle_limit l) { return os << to_string(l); }

namespace {

const std::optional<std::chrono::minutes>& field(const lifecycle_limits& l, lifecycle_limit which)
{
    switch (which) {
    case lifecycle_limit::max_waiting_for_dependencies: return l.max_waiting_for_dependencies;
    case lifecycle_limit::max_waiting_for_retry: return l.max_waiting_for_retry;
    case lifecycle_limit::max_steps_in_process: return l.max_steps_in_process;
    case lifecycle_limit::max_duration: break;
    }
    return l.max_duration;
}

/// The limit on time spent in `s`, if a state has one.
std::optional<lifecycle_limit> limit_of_state(task_state s)
{
    switch (s) {
    case task_state::waiting_for_dependencies: return lifecycle_limit::max_waiting_for_dependencies;
    case task_state::waiting_for_retry: return lifecycle_limit::max_waiting_for_retry;
    case task_state::steps_in_process: return lifecycle_limit::max_steps_in_process;
    default: return std::nullopt;
    }
}

/// "2m 5s", "1h 3m", "45s", "850ms".
std::string words(duration d)
{
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(d).count();
    if (ms < 1000)
        return fmt::format("{}ms", ms);
    const auto s = ms / 1000;
    if (s < 60)
        return fmt::format("{}s", s);
    if (s < 3600)
        return s % 60 ? fmt::format("{}m {}s", s / 60, s % 60) : fmt::format("{}m", s / 60);
    return (s / 60) % 60 ? fmt::format("{}h {}m", s / 3600, (s / 60) % 60) : fmt::format("{}h", s / 3600);
}

} // namespace

double staleness_verdict::used() const noexcept
{
    if (allowed <= duration::zero())
        return 1e9;
    return std::chrono::duration<double>(age) / std::chrono::duration<double>(allowed);
}

std::string staleness_verdict::reason() const
{
    const std::string where = limit == lifecycle_limit::max_duration
                                  ? "alive"
                                  : std::string(to_string(limit).substr(std::string_view("max_").size()));
    return fmt::format("{} for {}, {} the {} limit of {} ({}_minutes)", where, words(age),
                       passed() ? "past" : "within", from_template ? "template's" : "default", words(allowed),
                       to_string(limit));
}

std::optional<staleness_verdict> judge_staleness(const lifecycle_limits& of_template, const lifecycle_limits& defaults,
                                                 task_state state, time_point created_at, time_point state_since,
                                                 time_point now)
{
    if (is_terminal(state))
        return std::nullopt;
    std::optional<staleness_verdict> best;
    const auto consider = [&](lifecycle_limit which, time_point since) {
        const auto& own = field(of_template, which);
        const auto& fallback = field(defaults, which);
        if (!own && !fallback)
            return;
        staleness_verdict v{which,
                            own ? duration(*own) : duration(*fallback),
                            now > since ? now - since : duration::zero(),
                            own ? of_template.action : defaults.action,
                            own.has_value()};
        if (!best || v.used() > best->used())
            best = v;
    };
    if (auto which = limit_of_state(state))
        consider(*which, state_since);
    consider(lifecycle_limit::max_duration, created_at);
    return best;
}

std::optional<duration> shortest_limit(const lifecycle_limits& of_template, const lifecycle_limits& defaults)
{
    std::optional<duration> out;
    for (auto which : {lifecycle_limit::max_duration, lifecycle_limit::max_waiting_for_dependencies,
                       lifecycle_limit::max_waiting_for_retry, lifecycle_limit::max_steps_in_process})
        for (const auto* l : {&of_template, &defaults})
            if (const auto& m = field(*l, which); m && (!out || duration(*m) < *out))
                out = duration(*m);
    return out;
}

result<void> check_lifecycle_defaults(const lifecycle_limits& defaults)
{
    for (auto which : {lifecycle_limit::max_duration, lifecycle_limit::max_waiting_for_dependencies,
                       lifecycle_limit::max_waiting_for_retry, lifecycle_limit::max_steps_in_process})
        if (const auto& m = field(defaults, which); m && m->count() <= 0)
            return error{errc::invalid_request, "default lifecycle limit " + std::string(to_string(which)) +
                                                    " must be at least one minute, not " +
                                                    std::to_string(m->count())};
    return {};
}

result<void> check_sweep(const staleness_sweep& s)
{
    if (s.limit < 1 || s.limit > 10000)
        return error{errc::invalid_request, "a staleness pass handles 1 to 10000 tasks, not " + std::to_string(s.limit)};
    if (!(s.report_from > 0.0 && s.report_from <= 1.0))
        return error{errc::invalid_request, "report_from must be in (0, 1], not " + std::to_string(s.report_from)};
    return check_lifecycle_defaults(s.defaults);
}

} // namespace tasker
