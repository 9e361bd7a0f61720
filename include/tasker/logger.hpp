#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace tasker {

enum class log_level : std::uint8_t { trace, debug, info, warn, error, off };

std::string_view to_string(log_level l) noexcept;
std::ostream& operator<<(std::ostream& os, log_level l);

/// The logging interface of tasker's core: a level and a sink. Messages are formatted only
/// when their level is enabled, so a disabled debug line on the hot path costs a compare.
/// Lines are structured `key=value` text; `with(...)` adds fields (a task's correlation id)
/// to every line a logger writes. Default constructed, it writes nothing.
///
/// Use `tasker/spdlog_logger.hpp` to send lines to spdlog, or pass any callable sink.
class logger {
public:
    using sink_type = std::function<void(log_level, std::string_view)>;

    logger() = default;
    logger(log_level level, sink_type sink);

    bool enabled(log_level l) const noexcept { return l >= level_ && level_ != log_level::off && sink_; }
    log_level level() const noexcept { return level_; }

    /// A logger writing the same place with `fields` (e.g. "task=… correlation_id=…") in front
    /// of every line.
    logger with(std::string_view fields) const;

    template <class... Args>
    void log(log_level l, fmt::format_string<Args...> f, Args&&... args) const
    {
        if (!enabled(l))
            return;
        write(l, fmt::format(f, std::forward<Args>(args)...));
    }

    template <class... Args>
    void debug(fmt::format_string<Args...> f, Args&&... args) const
    {
        log(log_level::debug, f, std::forward<Args>(args)...);
    }
    template <class... Args>
    void info(fmt::format_string<Args...> f, Args&&... args) const
    {
        log(log_level::info, f, std::forward<Args>(args)...);
    }
    template <class... Args>
    void warn(fmt::format_string<Args...> f, Args&&... args) const
    {
        log(log_level::warn, f, std::forward<Args>(args)...);
    }
    template <class... Args>
    void error(fmt::format_string<Args...> f, Args&&... args) const
    {
        log(log_level::error, f, std::forward<Args>(args)...);
    }

private:
    void write(log_level l, std::string line) const;

    log_level level_ = log_level::off;
    std::shared_ptr<const sink_type> sink_;
    std::shared_ptr<const std::string> fields_;
};

} // namespace tasker
