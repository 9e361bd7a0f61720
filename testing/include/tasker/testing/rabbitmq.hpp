#pragma once
// The testing kit's RabbitMQ fixture: the server from the environment, and a name prefix per
// test so tests sharing one server (and one virtual host) never see each other's queues.
// Header-only, no link dependency: pass `url()` and `prefix()` to tasker::rabbitmq::broker.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tasker::testing {

/// TASKER_RABBITMQ_URL (e.g. amqp://guest:guest@127.0.0.1:5672/); throws, failing the test,
/// when it is unset: a test that needs RabbitMQ never passes without one.
inline std::string rabbitmq_url()
{
    const char* url = std::getenv("TASKER_RABBITMQ_URL");
    if (!url || !*url)
        throw std::runtime_error("TASKER_RABBITMQ_URL is not set: this test needs a RabbitMQ server "
                                 "(script/test starts one; or export e.g. amqp://guest:guest@127.0.0.1:5672/)");
    return url;
}

/// A RabbitMQ server for one test: its URL and a queue/exchange name prefix no other
/// fixture (in this or another process) uses, e.g. "t1700000000123-4.".
struct rabbitmq_fixture {
    std::string url = rabbitmq_url();
    std::string prefix = [] {
        static std::atomic<int> next{0};
        const auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
        return "t" + std::to_string(stamp) + "-" + std::to_string(next++) + ".";
    }();
};

} // namespace tasker::testing
