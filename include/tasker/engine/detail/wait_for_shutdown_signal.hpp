#pragma once

#include <tasker/asio.hpp>
#include <tasker/engine/shutdown_signals.hpp>
#include <tasker/logger.hpp>
#include <tasker/model/time.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>

namespace tasker::detail {

/// Blocks until SIGINT or SIGTERM (logging both the wait and the signal): a runtime's
/// `run_until_signal`.
inline void wait_for_shutdown_signal(const logger& log, duration grace)
{
    asio::io_context io;
    shutdown_signals signals(io.get_executor(), [&](int signo) {
        log.info("event=signal signal={} grace_ms={}", signo, std::chrono::duration_cast<milliseconds>(grace).count());
        io.stop();
    });
    // From here on a SIGINT or SIGTERM is ours, even before io.run() starts.
    log.info("event=waiting_for_signal signals=SIGINT,SIGTERM");
    io.run();
}

} // namespace tasker::detail
