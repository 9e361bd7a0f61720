#pragma once

#include <tasker/error.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tasker::postgres {

/// One message waiting in tasker.outbox (migrations/0003_outbox.sql).
struct outbox_entry {
    std::int64_t id = 0;
    queue_name queue;
    message msg;
    duration delay{}; ///< how long until it is due, as of the claim (zero: now)
};

/// The relay's side of tasker.outbox, on one connection of its own, for one thread: blocking
/// calls (a relay runs them on its own thread). A store with `message_route::outbox` fills the
/// table; `outbox_relay` empties it into a broker.
class outbox {
public:
    /// Opens no connection yet: the first call does (and reopens it after it breaks).
    explicit outbox(std::string url);
    ~outbox();
    outbox(const outbox&) = delete;
    outbox& operator=(const outbox&) = delete;

    /// Claims up to `max` messages, oldest first, that nobody has claimed (or whose claim ran
    /// out) for `claim` from now. Several relays never claim the same row at once.
    result<std::vector<outbox_entry>> claim(std::size_t max, duration claim);
    /// Deletes published messages (call only once the broker confirmed them).
    result<void> remove(const std::vector<std::int64_t>& ids);
    /// Gives claimed messages back at once (publishing failed).
    result<void> release(const std::vector<std::int64_t>& ids);
    /// Blocks until a store commits messages (NOTIFY tasker_outbox), `interrupt()`, or `timeout`.
    /// A notification that came since the last call returns at once.
    result<void> wait(duration timeout);
    /// Ends a `wait` now, from any thread.
    void interrupt() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace tasker::postgres
