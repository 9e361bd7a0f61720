#pragma once

#include <tasker/error.hpp>
#include <tasker/logger.hpp>

#include <exception>

namespace tasker::detail {

/// A co_spawn completion for an engine component's `run()` (as the runtimes spawn it): logs
/// how component `who` ended, if not cleanly.
inline auto log_exit(logger log, const char* who)
{
    return [log, who](std::exception_ptr e, result<void> r) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log.error("component={} event=crashed error=\"{}\"", who, ex.what());
            }
        } else if (!r) {
            log.error("component={} event=failed error=\"{}\"", who, r.error().what());
        }
    };
}

} // namespace tasker::detail
