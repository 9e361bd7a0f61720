#pragma once
// Internal to tasker::rabbitmq: publishing with publisher confirms, and the books on
// publishes RabbitMQ has not confirmed yet. No I/O of its own: the broker passes the function
// that sends one message and reports the confirms the connection reads.

#include "pack_codec.hpp"

#include <tasker/detail/call_on_backend_thread.hpp>
#include <tasker/error.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace tasker::rabbitmq {

/// Publishes batches of messages and answers each batch once RabbitMQ confirmed every one of
/// its messages (they are on its disk), or with the first failure: a publisher nack, or the
/// connection going before all confirms came. Each batch is answered exactly once.
class publisher {
public:
    /// Sends one message; its publish sequence number, or the connection's error.
    using send_function = std::function<result<std::uint64_t>(const outgoing&)>;

    /// Sends `ms` through `send`, in order; `done` is answered as above (at once when `ms` is
    /// empty). If a send fails, the connection is dead and no confirm will come: every batch
    /// waiting for one fails with that error, this one too, and the error is returned so
    /// the caller drops the connection.
    result<void> publish(std::vector<outgoing> ms, const send_function& send, detail::backend_reply<void> done);

    /// RabbitMQ confirmed `seq` (`failure` empty) or could not store it (a publisher nack:
    /// `failure`); with `multiple`, every sequence number up to `seq`.
    void confirmed(std::uint64_t seq, bool multiple, std::optional<error> failure = std::nullopt);

    /// The connection is gone: every batch still waiting fails with `e`.
    void fail_all(const error& e);

    /// Publishes not confirmed yet.
    std::size_t unconfirmed() const noexcept { return unconfirmed_.size(); }

private:
    struct batch {
        std::size_t remaining = 0;  ///< messages not confirmed (or nacked) yet
        std::optional<error> failed; ///< the first failure
        bool answered = false;       ///< set when its answer is decided, before `done` runs
        detail::backend_reply<void> done;

        void answer() { done(failed ? result<void>(*failed) : result<void>{}); }
    };
    std::map<std::uint64_t, std::shared_ptr<batch>> unconfirmed_; // by publish sequence number
};

} // namespace tasker::rabbitmq
