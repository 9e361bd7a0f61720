// tasker::rabbitmq's errors against a real RabbitMQ: a refusal keeps the server's AMQP reply
// code in `origin` (and `reply_code`), trouble with the connection rabbitmq-c's status; `code`
// stays the core's, which decides retries.
#include <tasker/detail/run_blocking.hpp>
#include <tasker/rabbitmq/broker.hpp>
#include <tasker/rabbitmq/errors.hpp>
#include <tasker/testing/rabbitmq.hpp>

#include "support/catch.hpp"

#include <string>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

/// `host:port/` of the test server, without its credentials.
std::string server_address()
{
    const auto url = testing::rabbitmq_url();
    return url.substr(url.find('@') + 1);
}

} // namespace

TEST_CASE("rabbitmq: a login with a wrong password is 403 access-refused, permanent", "[rabbitmq]")
{
    const auto q = queue_name::make("refused").value();
    rabbitmq::broker b({.url = "amqp://guest:not-the-password@" + server_address()});
    auto r = detail::run_blocking(b.ensure_queue(q));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::broker_error);
    CHECK(r.error().origin == rabbitmq::amqp_reply::access_refused);
    CHECK(rabbitmq::reply_code(r.error()) == std::uint16_t{403});
    CHECK_FALSE(is_transient(r.error()));
    CHECK(r.error().origin == condition::permanent);
    CHECK_THAT(r.error().what(), Catch::Contains("403") && Catch::Contains("ACCESS_REFUSED"));
    CHECK_THAT(r.error().what(), Catch::Contains("\"guest\"") && !Catch::Contains("not-the-password"));
    // Every later operation says the same until the backoff lets it try again.
    auto again = detail::run_blocking(b.send(q, message{message_kind::step_ready, 1, 1, task_id{}}, {}));
    REQUIRE_FALSE(again);
    CHECK(rabbitmq::reply_code(again.error()) == std::uint16_t{403});
}

TEST_CASE("rabbitmq: a virtual host that does not exist is 530 not-allowed", "[rabbitmq]")
{
    rabbitmq::broker b({.url = testing::rabbitmq_url() + "no-such-vhost"});
    auto r = detail::run_blocking(b.ensure_queue(queue_name::make("vhost").value()));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::broker_error);
    CHECK(r.error().origin == rabbitmq::amqp_reply::not_allowed);
    CHECK(rabbitmq::reply_code(r.error()) == std::uint16_t{530});
    CHECK_FALSE(is_transient(r.error()));
    CHECK_THAT(r.error().what(), Catch::Contains("no-such-vhost"));
}

TEST_CASE("rabbitmq: a queue that exists with other arguments is 406 precondition-failed", "[rabbitmq]")
{
    // One broker's work queue "<p>dead-" + "letter" is the other's dead-letter queue
    // "<p>" + "dead-letter", which tasker declares without arguments.
    testing::rabbitmq_fixture server;
    rabbitmq::broker first({.url = server.url, .prefix = server.prefix + "dead-"});
    REQUIRE(detail::run_blocking(first.ensure_queue(queue_name::make("letter").value())));
    rabbitmq::broker second({.url = server.url, .prefix = server.prefix});
    auto r = detail::run_blocking(second.ensure_queue(queue_name::make("work").value()));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::broker_error);
    CHECK(r.error().origin == rabbitmq::amqp_reply::precondition_failed);
    CHECK(rabbitmq::reply_code(r.error()) == std::uint16_t{406});
    CHECK_FALSE(is_transient(r.error()));
    CHECK_THAT(r.error().what(), Catch::Contains(server.prefix + "dead-letter") && Catch::Contains("406"));
}

TEST_CASE("rabbitmq: a server that cannot be reached is rabbitmq-c's status, transient, no reply code",
          "[rabbitmq]")
{
    rabbitmq::broker b({.url = "amqp://guest:guest@127.0.0.1:1/", .timeout = 2s});
    auto r = detail::run_blocking(b.ensure_queue(queue_name::make("unreachable").value()));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::backend_unavailable);
    CHECK(r.error().origin.category() == rabbitmq::client_category());
    CHECK(r.error().origin == condition::transient);
    CHECK(is_transient(r.error()));
    CHECK_FALSE(rabbitmq::reply_code(r.error()));
}

TEST_CASE("rabbitmq: a URL rabbitmq-c cannot parse is its bad-URL status, permanent", "[rabbitmq]")
{
    rabbitmq::broker b({.url = "http://user:secret@localhost/"});
    auto r = detail::run_blocking(b.ensure_queue(queue_name::make("url").value()));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_name);
    CHECK(r.error().origin == rabbitmq::client_status::bad_url);
    CHECK_FALSE(is_transient(r.error()));
    CHECK_THAT(r.error().what(), !Catch::Contains("secret"));
}
