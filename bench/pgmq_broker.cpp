// The PGMQ broker on a real PostgreSQL: how many messages per second move through
// send_batch -> read -> archive, and how long one message takes from send to a waiting
// consumer (NOTIFY wake-up included). Creates, migrates and drops its own database on the
// server named by --url or TASKER_DATABASE_URL, and prints the server settings it ran with.
#include "diamond_shape.hpp" // percentile
#include "scratch_database.hpp"

#include <tasker/detail/run_blocking.hpp>
#include <tasker/pgmq/broker.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

using namespace tasker;
using steady = std::chrono::steady_clock;

namespace {

struct settings {
    std::string url;
    int messages = 100'000;
    std::size_t batch = 256;
    std::size_t threads = 4;
    int latency_messages = 500;
    bool synchronous_commit = true;
};

message msg(std::uint32_t n) { return message{message_kind::step_ready, n, 1, task_id{}}; }

/// Producers send in batches while one consumer reads and archives in batches.
double throughput(pgmq::broker& b, queue_name q, const settings& s)
{
    const auto start = steady::now();
    std::thread producer([&] {
        std::vector<message> batch;
        for (int sent = 0; sent < s.messages;) {
            batch.clear();
            for (std::size_t i = 0; i < s.batch && sent < s.messages; ++i, ++sent)
                batch.push_back(msg(static_cast<std::uint32_t>(sent)));
            detail::run_blocking(b.send_batch(q, std::move(batch), {})).value();
        }
    });
    int received = 0;
    while (received < s.messages) {
        auto got = detail::run_blocking(b.read(q, s.batch, std::chrono::seconds(30))).value();
        if (got.empty()) {
            detail::run_blocking(b.wait(q, std::chrono::system_clock::now() + std::chrono::milliseconds(100))).value();
            continue;
        }
        std::vector<delivery_id> ids;
        for (const auto& d : got)
            ids.push_back(d.id);
        received += static_cast<int>(got.size());
        detail::run_blocking(b.ack(q, std::move(ids))).value();
    }
    producer.join();
    return s.messages / std::chrono::duration<double>(steady::now() - start).count();
}

/// One message at a time: a consumer waits (LISTEN/NOTIFY), the producer sends.
std::vector<double> latency(pgmq::broker& consumer, pgmq::broker& producer, queue_name q, const settings& s)
{
    std::vector<double> us;
    for (int i = 0; i < s.latency_messages; ++i) {
        std::atomic<bool> parked{false};
        steady::time_point sent_at;
        std::thread reader([&] {
            while (true) {
                auto got = detail::run_blocking(consumer.read(q, 1, std::chrono::seconds(30))).value();
                if (!got.empty()) {
                    us.push_back(std::chrono::duration<double, std::micro>(steady::now() - sent_at).count());
                    std::vector<delivery_id> ids{got[0].id};
                    detail::run_blocking(consumer.ack(q, std::move(ids))).value();
                    return;
                }
                parked = true;
                detail::run_blocking(consumer.wait(q, std::chrono::system_clock::now() + std::chrono::seconds(5)))
                    .value();
            }
        });
        while (!parked)
            std::this_thread::yield();
        // The reader parks right after its empty read; give it a moment to reach the wait.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        sent_at = steady::now();
        detail::run_blocking(producer.send(q, msg(static_cast<std::uint32_t>(i)), {})).value();
        reader.join();
    }
    return us;
}

} // namespace

int main(int argc, char** argv)
{
    settings s;
    if (const char* env = std::getenv("TASKER_DATABASE_URL"))
        s.url = env;
    CLI::App app{"PGMQ broker throughput and send-to-consumer latency on a real PostgreSQL"};
    app.add_option("--url", s.url, "maintenance database URL (default: TASKER_DATABASE_URL)");
    app.add_option("--messages", s.messages, "messages in the throughput run")->capture_default_str();
    app.add_option("--batch", s.batch, "messages per send_batch and per read")->capture_default_str();
    app.add_option("--threads", s.threads, "statement threads of the broker")->capture_default_str();
    app.add_option("--latency-messages", s.latency_messages, "messages sent one at a time")->capture_default_str();
    app.add_flag("!--async-commit", s.synchronous_commit, "run with synchronous_commit = off");
    CLI11_PARSE(app, argc, argv);
    if (s.url.empty()) {
        std::cerr << "give --url or set TASKER_DATABASE_URL\n";
        return 1;
    }

    const bench::scratch_database db(s.url, s.synchronous_commit);
    const auto& url = db.url();
    {
        pgmq::broker b({url, s.threads, pgmq::wake_mode::hybrid});
        pgmq::broker sender({url, 1, pgmq::wake_mode::polling});
        const auto q = queue_name::make("bench").value();
        detail::run_blocking(b.ensure_queue(q)).value();
        const auto rate = throughput(b, q, s);
        std::cout << "throughput: " << static_cast<long>(rate) << " messages/s (" << s.messages << " messages, batch "
                  << s.batch << ", send_batch + read + archive)\n";
        if (s.latency_messages > 0) {
            const auto us = latency(b, sender, q, s);
            std::cout << "send to waiting consumer: p50 " << bench::percentile(us, 0.5) << " us, p99 "
                      << bench::percentile(us, 0.99) << " us (" << us.size() << " messages, LISTEN/NOTIFY)\n";
        }
    }
    return 0;
}
