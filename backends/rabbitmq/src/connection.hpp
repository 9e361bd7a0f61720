#pragma once
// Internal to tasker::rabbitmq: one AMQP connection (rabbitmq-c) with one channel in confirm
// mode, used from a single thread. Every call reports failure as a `tasker::error` whose
// `origin` is the server's reply code or rabbitmq-c's status (tasker/rabbitmq/errors.hpp);
// after a failure the connection is dead and must be replaced (`ok()` turns false).

#include "wire.hpp"

#include <tasker/error.hpp>
#include <tasker/model/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct amqp_connection_state_t_; // rabbitmq-c's connection, kept out of this header

namespace tasker::rabbitmq::amqp {

/// Where to connect: a parsed amqp:// URL.
struct endpoint {
    std::string host;
    int port = 5672;
    std::string user;
    std::string password;
    std::string vhost;

    /// `amqp://user:password@host:port/vhost` (rabbitmq-c's parser: a missing part takes
    /// RabbitMQ's default). `errc::invalid_name` naming what is wrong, never the password.
    static result<endpoint> parse(std::string_view url);
    /// host:port/vhost, for messages (no credentials).
    std::string describe() const;
};

class connection {
public:
    /// Connects, logs in, opens channel 1 in confirm mode with `prefetch` unacked deliveries
    /// per consumer. `timeout` bounds the connect and every later RPC.
    static result<connection> open(const endpoint& to, std::uint16_t prefetch, duration heartbeat, duration timeout);

    connection(connection&& other) noexcept;
    connection& operator=(connection&& other) noexcept;
    ~connection();

    bool ok() const noexcept { return state_ != nullptr && !broken_; }
    int socket() const noexcept;
    /// Frames already read and waiting: poll() on the socket would not see them.
    bool has_buffered() const noexcept;

    result<void> declare_exchange(const std::string& name, const char* type);
    result<void> declare_queue(const std::string& name, const arguments& args);
    result<void> bind_queue(const std::string& queue, const std::string& exchange, const std::string& key,
                            const arguments& args);
    result<void> consume(const std::string& queue, const std::string& consumer_tag);
    /// Stops a consumer: no new deliveries (what it has not acked stays unacked).
    result<void> cancel(const std::string& consumer_tag);

    /// Sends basic.get for one message of `queue`; the reply comes as a `got` or
    /// `got_nothing` event, after every delivery the server pushed to this channel before it.
    /// (Not a blocking RPC: rabbitmq-c's would queue those deliveries and then read the
    /// reply's content frames out of order.)
    result<void> request_get(const std::string& queue);

    /// Publishes a persistent message; returns its sequence number (confirmed later by an event).
    result<std::uint64_t> publish(const std::string& exchange, const std::string& routing_key,
                                  std::string_view body, const std::vector<header>& headers);
    /// Acks `tag`, or with `multiple` every unacked delivery up to and including it.
    result<void> ack(std::uint64_t tag, bool multiple = false);
    /// Rejects without requeueing: the queue dead-letters it.
    result<void> reject(std::uint64_t tag);
    /// A heartbeat frame, so an idle connection stays alive.
    result<void> heartbeat();

    /// The next event if one can be read within `wait` (zero: without waiting); nullopt when none.
    result<std::optional<event>> next_event(duration wait = duration::zero());

    /// Releases rabbitmq-c's buffers once nothing read so far is still referenced.
    void release_buffers() noexcept;

private:
    explicit connection(amqp_connection_state_t_* s) noexcept : state_(s) {}
    result<void> rpc_status(std::string_view doing);
    result<void> fail(std::string_view doing, int status);
    error broken(error e);

    amqp_connection_state_t_* state_ = nullptr;
    bool broken_ = false;
    std::uint64_t next_seq_ = 1;
    std::string where_;
};

} // namespace tasker::rabbitmq::amqp
