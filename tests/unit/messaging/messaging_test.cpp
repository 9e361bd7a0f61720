#include <tasker/messaging/message.hpp>
#include <tasker/messaging/queue_name.hpp>

#include "support/catch.hpp"

#include <boost/json/parse.hpp>

#include <string>

using namespace tasker;

TEST_CASE("queue names: valid ones are interned", "[unit][messaging]")
{
    auto a = queue_name::make("worker_orders");
    auto b = queue_name::make(std::string("worker_") + "orders");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == *b);
    CHECK(&a->str() == &b->str());
    CHECK(a->view() == "worker_orders");
    CHECK(queue_name::make(std::string(47, 'q'))); // pgmq's limit
}

TEST_CASE("queue names: hostile or oversized names are rejected before use", "[unit][messaging]")
{
    for (const std::string& bad : std::vector<std::string>{"", "Orders", "orders;drop table x", "orders--", "o'rders", "o\"rders", "or ders", "ord$rs",
                            "9lives", std::string(48, 'q'), "orders\n"}) {
        auto q = queue_name::make(bad);
        REQUIRE_FALSE(q);
        CHECK(q.error() == errc::invalid_name);
    }
    // The longest namespace makes the longest queue pgmq accepts; one more character is refused,
    // saying why.
    auto longest = worker_queue(std::string(max_namespace_length, 'n'));
    REQUIRE(longest);
    CHECK(longest->view().size() == max_queue_name_length);
    auto too_long = worker_queue(std::string(41, 'n'));
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().message.find("41 characters long, the limit is 40 (its workers' queue "
                                        "'worker_<namespace>' must fit the 47 characters pgmq allows a queue "
                                        "name)") != std::string::npos);
    auto hostile = worker_queue("x'; drop schema pgmq; --");
    REQUIRE_FALSE(hostile);
    CHECK(hostile.error().message.find("namespace name") == 0);
}

TEST_CASE("worker and orchestration queues", "[unit][messaging]")
{
    CHECK(worker_queue("payments")->view() == "worker_payments");
    CHECK(orchestration_queue().view() == "orchestration_step_results");
}

TEST_CASE("messages: JSON round trip and malformed input", "[unit][messaging]")
{
    const message m{message_kind::retry_due, 3, 2, uuid::v7(std::chrono::system_clock::now(), 5, 6)};
    auto back = message_from_json(to_json(m));
    REQUIRE(back);
    CHECK(*back == m);

    for (const char* bad : {R"([])", R"({"kind":"step_ready"})", R"({"kind":"nope","task":"x","step":1,"attempt":1})",
                            R"({"kind":"step_ready","task":"not-a-uuid","step":1,"attempt":1})",
                            R"({"kind":"step_ready","task":"0192f0c8-1234-7abc-8def-0123456789ab","step":-1,"attempt":1})",
                            R"({"kind":"step_ready","task":"0192f0c8-1234-7abc-8def-0123456789ab","step":1})"}) {
        auto r = message_from_json(boost::json::parse(bad));
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::malformed_json);
    }
}
