#pragma once
// The RabbitMQ backend's own error codes, carried in `tasker::error::origin`: what the server
// replied (an AMQP reply code) or what rabbitmq-c reported (a library status). `error::code`
// stays a core `tasker::errc` (`backend_unavailable`, `broker_error`, ...), which the engine
// branches on; `origin` says exactly what happened, for programs and people.

#include <tasker/error.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>
#include <type_traits>

namespace tasker::rabbitmq {

/// The AMQP 0-9-1 reply codes a server closes a channel or connection with (the constants of
/// rabbitmq-c's amqp_framing.h). 320 maps onto `condition::transient` (the server is going
/// down: a new connection may work); every other reply is a refusal, `condition::permanent`.
enum class amqp_reply : std::uint16_t {
    content_too_large = 311,
    no_route = 312,
    no_consumers = 313,
    connection_forced = 320,
    invalid_path = 402,
    access_refused = 403,
    not_found = 404,
    resource_locked = 405,
    precondition_failed = 406,
    frame_error = 501,
    syntax_error = 502,
    command_invalid = 503,
    channel_error = 504,
    unexpected_frame = 505,
    resource_error = 506,
    not_allowed = 530,
    not_implemented = 540,
    internal_error = 541,
};

/// rabbitmq-c's library statuses (`amqp_status_enum` of amqp.h, the same negative values).
/// Trouble with the connection (socket, TCP, timeouts, a closed connection, protocol state)
/// maps onto `condition::transient`; statuses that say the request itself cannot work
/// (a bad URL, an unsupported or invalid parameter, a table that cannot be encoded, a server
/// without this protocol version or login method, a failed TLS verification) onto
/// `condition::permanent`.
enum class client_status : int {
    no_memory = -0x0001,
    bad_amqp_data = -0x0002,
    unknown_class = -0x0003,
    unknown_method = -0x0004,
    hostname_resolution_failed = -0x0005,
    incompatible_amqp_version = -0x0006,
    connection_closed = -0x0007,
    bad_url = -0x0008,
    socket_error = -0x0009,
    invalid_parameter = -0x000A,
    table_too_big = -0x000B,
    wrong_method = -0x000C,
    timeout = -0x000D,
    timer_failure = -0x000E,
    heartbeat_timeout = -0x000F,
    unexpected_state = -0x0010,
    socket_closed = -0x0011,
    socket_inuse = -0x0012,
    broker_unsupported_sasl_method = -0x0013,
    unsupported = -0x0014,
    tcp_error = -0x0100,
    tcp_socketlib_init_error = -0x0101,
    ssl_error = -0x0200,
    ssl_hostname_verify_failed = -0x0201,
    ssl_peer_verify_failed = -0x0202,
    ssl_connection_failed = -0x0203,
    ssl_set_engine_failed = -0x0204,
};

} // namespace tasker::rabbitmq

namespace boost::system {
template <>
struct is_error_code_enum<tasker::rabbitmq::amqp_reply> : std::true_type {};
template <>
struct is_error_code_enum<tasker::rabbitmq::client_status> : std::true_type {};
} // namespace boost::system

namespace tasker::rabbitmq {

/// The category of `amqp_reply` ("tasker.rabbitmq.reply"). Its messages name the reply as
/// the AMQP specification does, with its number: "access-refused (403)".
const boost::system::error_category& reply_category() noexcept;
/// The category of `client_status` ("tasker.rabbitmq.client"): rabbitmq-c's statuses.
const boost::system::error_category& client_category() noexcept;

inline boost::system::error_code make_error_code(amqp_reply r) noexcept
{
    return {static_cast<int>(r), reply_category()};
}

inline boost::system::error_code make_error_code(client_status s) noexcept
{
    return {static_cast<int>(s), client_category()};
}

/// The specification's name of the reply: "connection-forced", "access-refused", ...
std::string_view to_string(amqp_reply r) noexcept;
std::ostream& operator<<(std::ostream& os, amqp_reply r);

/// What the status means, in words: "socket error", "connection closed", ...
std::string_view to_string(client_status s) noexcept;
std::ostream& operator<<(std::ostream& os, client_status s);

/// The AMQP reply code the server answered with, if `e` came from one (its `origin` is in
/// `reply_category()`): e.g. 403 when it refused the login, 406 when a queue exists with
/// other arguments. Empty for anything else (rabbitmq-c's own statuses included).
std::optional<std::uint16_t> reply_code(const tasker::error& e) noexcept;

} // namespace tasker::rabbitmq
