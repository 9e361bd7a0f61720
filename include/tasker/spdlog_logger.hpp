#pragma once

#include <tasker/logger.hpp>

#include <spdlog/spdlog.h>

#include <memory>

namespace tasker {

/// A tasker logger writing to an spdlog logger (the default one when none is given),
/// at spdlog's current level.
inline logger make_spdlog_logger(std::shared_ptr<spdlog::logger> target = spdlog::default_logger())
{
    const auto level = [&] {
        switch (target->level()) {
        case spdlog::level::trace: return log_level::trace;
        case spdlog::level::debug: return log_level::debug;
        case spdlog::level::info: return log_level::info;
        case spdlog::level::warn: return log_level::warn;
        case spdlog::level::err:
        case spdlog::level::critical: return log_level::error;
        default: return log_level::off;
        }
    }();
    return logger(level, [target = std::move(target)](log_level l, std::string_view line) {
        static constexpr spdlog::level::level_enum map[] = {spdlog::level::trace, spdlog::level::debug,
                                                            spdlog::level::info,  spdlog::level::warn,
                                                            spdlog::level::err,   spdlog::level::off};
        target->log(map[static_cast<int>(l)], "{}", line);
    });
}

} // namespace tasker
