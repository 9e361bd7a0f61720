#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>
#include <tasker/postgres/store.hpp>
#include <tasker/store/queue_reading_store.hpp>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker::pgmq {

/// How consumers learn that a message arrived.
enum class wake_mode : std::uint8_t {
    hybrid,       ///< NOTIFY, the next delayed message falling due, or the caller's deadline
    event_driven, ///< NOTIFY or the caller's deadline (a delayed message is seen at the next deadline)
    polling,      ///< no LISTEN: a look every `poll_interval`, until a message is visible or the deadline
};

std::string_view to_string(wake_mode m) noexcept;
std::optional<wake_mode> wake_mode_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, wake_mode m);

struct broker_config {
    /// libpq connection string or URL, e.g. postgresql://tasker@db:5432/tasker.
    std::string url;
    /// Threads (and connections) running statements.
    std::size_t threads = 4;
    wake_mode mode = wake_mode::hybrid;
    /// In `polling` mode, how often a waiting consumer looks at its queue.
    duration poll_interval = std::chrono::milliseconds(250);
};

/// The `message_broker` over the pgmq SQL API (../specs/pgmq-api.md), in the same database as
/// the store: the real pgmq extension or tasker's bundled compatible schema (see migrations/).
///
/// Leases and delays are whole seconds (pgmq's visibility timeout), rounded up. `ack`
/// archives (the archive keeps what ran); `nack` and `extend_lease` move the visibility
/// timeout. Every send also `pg_notify`s the queue's channel in the same transaction, so
/// listeners wake only for committed messages. A message that is not tasker's is archived by
/// the read that meets it, not delivered. Operations run on the broker's own threads
/// and complete on the awaiting coroutine's executor; the broker must outlive them.
class broker {
public:
    /// The queues are tables of the store's database: a `postgres::store` reads them in its own
    /// transactions (see `queue_reading_store`), and sends its messages into them (`route_for`).
    using colocated_store = postgres::store;

    explicit broker(broker_config config);
    ~broker();
    broker(const broker&) = delete;
    broker& operator=(const broker&) = delete;

    const broker_config& config() const noexcept;

    // message_broker (see its requirements)
    awaitable<result<void>> ensure_queue(queue_name q);
    awaitable<result<void>> send(queue_name q, message m, duration delay);
    awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay);
    awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease);
    awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids);
    awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay);
    awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease);
    awaitable<result<void>> wait(queue_name q, time_point deadline);

    /// The NOTIFY channel of a queue.
    static std::string channel(queue_name q);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace tasker::pgmq

// The engines on a PostgreSQL store and this broker let the store read the queues in the
// transactions that claim and orchestrate (when it sends through pgmq, its default next to it).
static_assert(tasker::queue_reading_store<tasker::postgres::store, tasker::pgmq::broker>);
static_assert(tasker::postgres::route_for<tasker::pgmq::broker> == tasker::postgres::message_route::pgmq);
