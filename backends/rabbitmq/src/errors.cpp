#include <tasker/rabbitmq/errors.hpp>

#include <amqp.h>

#include <ostream>
#include <string>

namespace tasker::rabbitmq {

// The enums copy rabbitmq-c's constants, so the public header needs none of its headers.
static_assert(static_cast<int>(amqp_reply::content_too_large) == AMQP_CONTENT_TOO_LARGE);
static_assert(static_cast<int>(amqp_reply::no_route) == AMQP_NO_ROUTE);
static_assert(static_cast<int>(amqp_reply::no_consumers) == AMQP_NO_CONSUMERS);
static_assert(static_cast<int>(amqp_reply::connection_forced) == AMQP_CONNECTION_FORCED);
static_assert(static_cast<int>(amqp_reply::invalid_path) == AMQP_INVALID_PATH);
static_assert(static_cast<int>(amqp_reply::access_refused) == AMQP_ACCESS_REFUSED);
static_assert(static_cast<int>(amqp_reply::not_found) == AMQP_NOT_FOUND);
static_assert(static_cast<int>(amqp_reply::resource_locked) == AMQP_RESOURCE_LOCKED);
static_assert(static_cast<int>(amqp_reply::precondition_failed) == AMQP_PRECONDITION_FAILED);
static_assert(static_cast<int>(amqp_reply::frame_error) == AMQP_FRAME_ERROR);
static_assert(static_cast<int>(amqp_reply::syntax_error) == AMQP_SYNTAX_ERROR);
static_assert(static_cast<int>(amqp_reply::command_invalid) == AMQP_COMMAND_INVALID);
static_assert(static_cast<int>(amqp_reply::channel_error) == AMQP_CHANNEL_ERROR);
static_assert(static_cast<int>(amqp_reply::unexpected_frame) == AMQP_UNEXPECTED_FRAME);
static_assert(static_cast<int>(amqp_reply::resource_error) == AMQP_RESOURCE_ERROR);
static_assert(static_cast<int>(amqp_reply::not_allowed) == AMQP_NOT_ALLOWED);
static_assert(static_cast<int>(amqp_reply::not_implemented) == AMQP_NOT_IMPLEMENTED);
static_assert(static_cast<int>(amqp_reply::internal_error) == AMQP_INTERNAL_ERROR);

static_assert(static_cast<int>(client_status::no_memory) == AMQP_STATUS_NO_MEMORY);
static_assert(static_cast<int>(client_status::bad_amqp_data) == AMQP_STATUS_BAD_AMQP_DATA);
static_assert(static_cast<int>(client_status::unknown_class) == AMQP_STATUS_UNKNOWN_CLASS);
static_assert(static_cast<int>(client_status::unknown_method) == AMQP_STATUS_UNKNOWN_METHOD);
static_assert(static_cast<int>(client_status::hostname_resolution_failed) == AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED);
static_assert(static_cast<int>(client_status::incompatible_amqp_version) == AMQP_STATUS_INCOMPATIBLE_AMQP_VERSION);
static_assert(static_cast<int>(client_status::connection_closed) == AMQP_STATUS_CONNECTION_CLOSED);
static_assert(static_cast<int>(client_status::bad_url) == AMQP_STATUS_BAD_URL);
static_assert(static_cast<int>(client_status::socket_error) == AMQP_STATUS_SOCKET_ERROR);
static_assert(static_cast<int>(client_status::invalid_parameter) == AMQP_STATUS_INVALID_PARAMETER);
static_assert(static_cast<int>(client_status::table_too_big) == AMQP_STATUS_TABLE_TOO_BIG);
static_assert(static_cast<int>(client_status::wrong_method) == AMQP_STATUS_WRONG_METHOD);
static_assert(static_cast<int>(client_status::timeout) == AMQP_STATUS_TIMEOUT);
static_assert(static_cast<int>(client_status::timer_failure) == AMQP_STATUS_TIMER_FAILURE);
static_assert(static_cast<int>(client_status::heartbeat_timeout) == AMQP_STATUS_HEARTBEAT_TIMEOUT);
static_assert(static_cast<int>(client_status::unexpected_state) == AMQP_STATUS_UNEXPECTED_STATE);
static_assert(static_cast<int>(client_status::socket_closed) == AMQP_STATUS_SOCKET_CLOSED);
static_assert(static_cast<int>(client_status::socket_inuse) == AMQP_STATUS_SOCKET_INUSE);
static_assert(static_cast<int>(client_status::broker_unsupported_sasl_method) ==
              AMQP_STATUS_BROKER_UNSUPPORTED_SASL_METHOD);
static_assert(static_cast<int>(client_status::unsupported) == AMQP_STATUS_UNSUPPORTED);
static_assert(static_cast<int>(client_status::tcp_error) == AMQP_STATUS_TCP_ERROR);
static_assert(static_cast<int>(client_status::tcp_socketlib_init_error) == AMQP_STATUS_TCP_SOCKETLIB_INIT_ERROR);
static_assert(static_cast<int>(client_status::ssl_error) == AMQP_STATUS_SSL_ERROR);
static_assert(static_cast<int>(client_status::ssl_hostname_verify_failed) == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED);
static_assert(static_cast<int>(client_status::ssl_peer_verify_failed) == AMQP_STATUS_SSL_PEER_VERIFY_FAILED);
static_assert(static_cast<int>(client_status::ssl_connection_failed) == AMQP_STATUS_SSL_CONNECTION_FAILED);
static_assert(static_cast<int>(client_status::ssl_set_engine_failed) == AMQP_STATUS_SSL_SET_ENGINE_FAILED);

namespace {

class reply_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "tasker.rabbitmq.reply"; }

    std::string message(int ev) const override
    {
        return std::string(to_string(static_cast<amqp_reply>(ev))) + " (" + std::to_string(ev) + ")";
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        // The server is shutting down or was told to close the connection: another one
        // (after a restart, or to another node) may succeed. Every other reply refuses what
        // was asked, and asking again gets the same answer.
        if (static_cast<amqp_reply>(ev) == amqp_reply::connection_forced)
            return make_error_condition(condition::transient);
        return make_error_condition(condition::permanent);
    }
};

class client_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "tasker.rabbitmq.client"; }

    std::string message(int ev) const override { return std::string(to_string(static_cast<client_status>(ev))); }

    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        switch (static_cast<client_status>(ev)) {
        case client_status::bad_url:
        case client_status::invalid_parameter:
        case client_status::table_too_big:
        case client_status::unsupported:
        case client_status::incompatible_amqp_version:
        case client_status::broker_unsupported_sasl_method:
        case client_status::ssl_hostname_verify_failed:
        case client_status::ssl_peer_verify_failed:
            return make_error_condition(condition::permanent);
        default:
            return make_error_condition(condition::transient);
        }
    }
};

} // namespace

const boost::system::error_category& reply_category() noexcept
{
    static const reply_category_impl instance;
    return instance;
}

const boost::system::error_category& client_category() noexcept
{
    static const client_category_impl instance;
    return instance;
}

std::string_view to_string(amqp_reply r) noexcept
{
    switch (r) {
    case amqp_reply::content_too_large: return "content-too-large";
    case amqp_reply::no_route: return "no-route";
    case amqp_reply::no_consumers: return "no-consumers";
    case amqp_reply::connection_forced: return "connection-forced";
    case amqp_reply::invalid_path: return "invalid-path";
    case amqp_reply::access_refused: return "access-refused";
    case amqp_reply::not_found: return "not-found";
    case amqp_reply::resource_locked: return "resource-locked";
    case amqp_reply::precondition_failed: return "precondition-failed";
    case amqp_reply::frame_error: return "frame-error";
    case amqp_reply::syntax_error: return "syntax-error";
    case amqp_reply::command_invalid: return "command-invalid";
    case amqp_reply::channel_error: return "channel-error";
    case amqp_reply::unexpected_frame: return "unexpected-frame";
    case amqp_reply::resource_error: return "resource-error";
    case amqp_reply::not_allowed: return "not-allowed";
    case amqp_reply::not_implemented: return "not-implemented";
    case amqp_reply::internal_error: return "internal-error";
    }
    return "unknown AMQP reply";
}

std::ostream& operator<<(std::ostream& os, amqp_reply r) { return os << to_string(r); }

std::string_view to_string(client_status s) noexcept
{
    switch (s) {
    case client_status::no_memory: return "out of memory";
    case client_status::bad_amqp_data: return "bad AMQP data received";
    case client_status::unknown_class: return "unknown AMQP class";
    case client_status::unknown_method: return "unknown AMQP method";
    case client_status::hostname_resolution_failed: return "host name resolution failed";
    case client_status::incompatible_amqp_version: return "incompatible AMQP version";
    case client_status::connection_closed: return "connection closed";
    case client_status::bad_url: return "malformed AMQP URL";
    case client_status::socket_error: return "socket error";
    case client_status::invalid_parameter: return "invalid parameter";
    case client_status::table_too_big: return "AMQP table too big";
    case client_status::wrong_method: return "unexpected AMQP method received";
    case client_status::timeout: return "timed out";
    case client_status::timer_failure: return "system timer failed";
    case client_status::heartbeat_timeout: return "no heartbeat from the server";
    case client_status::unexpected_state: return "unexpected protocol state";
    case client_status::socket_closed: return "socket closed";
    case client_status::socket_inuse: return "socket already open";
    case client_status::broker_unsupported_sasl_method: return "login method not supported by the server";
    case client_status::unsupported: return "not supported";
    case client_status::tcp_error: return "TCP error";
    case client_status::tcp_socketlib_init_error: return "socket library initialisation failed";
    case client_status::ssl_error: return "TLS error";
    case client_status::ssl_hostname_verify_failed: return "TLS host name verification failed";
    case client_status::ssl_peer_verify_failed: return "TLS peer verification failed";
    case client_status::ssl_connection_failed: return "TLS handshake failed";
    case client_status::ssl_set_engine_failed: return "TLS engine setup failed";
    }
    return "unknown rabbitmq-c status";
}

std::ostream& operator<<(std::ostream& os, client_status s) { return os << to_string(s); }

std::optional<std::uint16_t> reply_code(const tasker::error& e) noexcept
{
    if (e.origin.category() != reply_category())
        return std::nullopt;
    return static_cast<std::uint16_t>(e.origin.value());
}

} // namespace tasker::rabbitmq
