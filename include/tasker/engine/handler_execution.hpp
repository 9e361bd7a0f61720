#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace tasker {

/// Where step handlers run.
enum class handler_execution : std::uint8_t {
    /// On the worker's own thread pool: handlers may block; timeouts, heartbeats and
    /// cancellation act while they run. The default.
    thread_pool,
    /// On the worker's executor, one after the other, within the read loop: for handlers
    /// that only compute (no blocking). No heartbeat runs meanwhile, and a timeout is only
    /// noticed when the handler returns. Deterministic: the testing kit's simulations use it.
    inline_on_worker,
};

std::string_view to_string(handler_execution e) noexcept;
std::ostream& operator<<(std::ostream& os, handler_execution e);

} // namespace tasker
