// tasker::rabbitmq's error categories: AMQP reply codes and rabbitmq-c statuses, how each maps
// onto tasker's two conditions, their words, and `reply_code`. No server.
#include <tasker/rabbitmq/errors.hpp>

#include "support/catch.hpp"

#include <sstream>
#include <string>

using namespace tasker;
using rabbitmq::amqp_reply;
using rabbitmq::client_status;

namespace {

bool transient(boost::system::error_code ec) { return ec == condition::transient; }
bool permanent(boost::system::error_code ec) { return ec == condition::permanent; }

template <class E>
std::string printed(E e)
{
    std::ostringstream os;
    os << e;
    return os.str();
}

} // namespace

TEST_CASE("rabbitmq reply category: 320 connection-forced is transient, every refusal permanent",
          "[unit][rabbitmq]")
{
    CHECK(transient(make_error_code(amqp_reply::connection_forced)));
    for (auto r : {amqp_reply::content_too_large, amqp_reply::no_route, amqp_reply::no_consumers,
                   amqp_reply::invalid_path, amqp_reply::access_refused, amqp_reply::not_found,
                   amqp_reply::resource_locked, amqp_reply::precondition_failed, amqp_reply::frame_error,
                   amqp_reply::syntax_error, amqp_reply::command_invalid, amqp_reply::channel_error,
                   amqp_reply::unexpected_frame, amqp_reply::resource_error, amqp_reply::not_allowed,
                   amqp_reply::not_implemented, amqp_reply::internal_error}) {
        INFO(r);
        CHECK(permanent(make_error_code(r)));
    }
    // A code the server may send that has no name here is still a refusal.
    CHECK(permanent(boost::system::error_code(599, rabbitmq::reply_category())));
}

TEST_CASE("rabbitmq reply category: the values are AMQP's reply codes, named as the specification does",
          "[unit][rabbitmq]")
{
    CHECK(static_cast<int>(amqp_reply::access_refused) == 403);
    CHECK(static_cast<int>(amqp_reply::connection_forced) == 320);
    CHECK(std::string(rabbitmq::reply_category().name()) == "tasker.rabbitmq.reply");
    CHECK(make_error_code(amqp_reply::access_refused).message() == "access-refused (403)");
    CHECK(make_error_code(amqp_reply::precondition_failed).message() == "precondition-failed (406)");
    CHECK(make_error_code(amqp_reply::connection_forced).message() == "connection-forced (320)");
    CHECK(boost::system::error_code(599, rabbitmq::reply_category()).message() == "unknown AMQP reply (599)");
    CHECK(rabbitmq::to_string(amqp_reply::not_found) == "not-found");
    CHECK(rabbitmq::to_string(amqp_reply::not_allowed) == "not-allowed");
    CHECK(rabbitmq::to_string(amqp_reply::internal_error) == "internal-error");
    CHECK(printed(amqp_reply::resource_locked) == "resource-locked");
    CHECK(printed(static_cast<amqp_reply>(599)) == "unknown AMQP reply");
}

TEST_CASE("rabbitmq client category: connection trouble is transient, a request that cannot work permanent",
          "[unit][rabbitmq]")
{
    for (auto s : {client_status::socket_error, client_status::socket_closed, client_status::connection_closed,
                   client_status::timeout, client_status::heartbeat_timeout, client_status::hostname_resolution_failed,
                   client_status::tcp_error, client_status::unexpected_state, client_status::wrong_method,
                   client_status::bad_amqp_data, client_status::no_memory, client_status::ssl_connection_failed}) {
        INFO(s);
        CHECK(transient(make_error_code(s)));
    }
    for (auto s : {client_status::bad_url, client_status::invalid_parameter, client_status::table_too_big,
                   client_status::unsupported, client_status::incompatible_amqp_version,
                   client_status::broker_unsupported_sasl_method, client_status::ssl_hostname_verify_failed,
                   client_status::ssl_peer_verify_failed}) {
        INFO(s);
        CHECK(permanent(make_error_code(s)));
    }
}

TEST_CASE("rabbitmq client category: rabbitmq-c's status values, in words", "[unit][rabbitmq]")
{
    CHECK(static_cast<int>(client_status::socket_error) == -0x0009);
    CHECK(static_cast<int>(client_status::tcp_error) == -0x0100);
    CHECK(std::string(rabbitmq::client_category().name()) == "tasker.rabbitmq.client");
    CHECK(make_error_code(client_status::connection_closed).message() == "connection closed");
    CHECK(make_error_code(client_status::heartbeat_timeout).message() == "no heartbeat from the server");
    CHECK(rabbitmq::to_string(client_status::bad_url) == "malformed AMQP URL");
    CHECK(printed(client_status::timeout) == "timed out");
    CHECK(printed(static_cast<client_status>(-0x7777)) == "unknown rabbitmq-c status");
}

TEST_CASE("rabbitmq reply_code: the AMQP reply an error came from, nothing for any other origin",
          "[unit][rabbitmq]")
{
    error refused{errc::broker_error, "refused"};
    refused.origin = make_error_code(amqp_reply::access_refused);
    CHECK(rabbitmq::reply_code(refused) == std::uint16_t{403});

    error closed{errc::backend_unavailable, "closed"};
    closed.origin = make_error_code(client_status::connection_closed);
    CHECK_FALSE(rabbitmq::reply_code(closed));

    CHECK_FALSE(rabbitmq::reply_code(error{errc::shutting_down, "no origin"}));
    // `code` stays the core's: the engine branches on it, as before.
    CHECK(refused.code == errc::broker_error);
    CHECK_FALSE(is_transient(refused));
}
