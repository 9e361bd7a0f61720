#pragma once

#include <tasker/asio.hpp>
#include <tasker/detail/outage_backoff.hpp>
#include <tasker/logger.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/postgres/outbox.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace tasker::postgres {

struct outbox_relay_config {
    /// The database whose tasker.outbox the stores (with `message_route::outbox`) fill.
    std::string url;
    /// Messages claimed and published per round.
    std::size_t batch_size = 500;
    /// How long a claim keeps other relays off a message: what a relay that dies held is
    /// published by another once this runs out (late if the dead one had not published it
    /// yet, a duplicate if it had). Keep it well above a batch's publish time.
    duration claim = std::chrono::seconds(5);
    /// A look at the table without a notification (NOTIFY wakes the relay at once).
    duration poll_interval = std::chrono::seconds(1);
    logger log{};
};

/// Moves the messages a PostgreSQL store committed to tasker.outbox into broker `B` (RabbitMQ):
/// claim a batch, publish it (each `send_batch` completes on the broker's confirm), delete the
/// rows. Nothing is deleted before its confirm, so a crash anywhere loses nothing; it may
/// publish a message twice, which consumers ignore. Run one per process that writes (or at
/// least one per deployment): relays share the table safely.
///
/// Runs on a thread of its own (its database calls block); `B` must be safe to call from
/// there, as every tasker broker is.
///
/// @par Example
/// @code
/// tasker::postgres::store tasks({.url = db, .route = tasker::postgres::message_route::outbox});
/// tasker::rabbitmq::broker messages({.url = amqp});
/// tasker::postgres::outbox_relay relay({.url = db}, messages);
/// relay.start();
/// @endcode
template <message_broker B>
class outbox_relay {
public:
    struct counters {
        std::uint64_t published = 0; ///< messages confirmed by the broker
        std::uint64_t failed = 0;    ///< messages given back after a failed publish
    };

    outbox_relay(outbox_relay_config config, B& broker) : config_(std::move(config)), broker_(broker), box_(config_.url) {}
    ~outbox_relay() { stop(); }
    outbox_relay(const outbox_relay&) = delete;
    outbox_relay& operator=(const outbox_relay&) = delete;

    void start()
    {
        if (thread_.joinable())
            return;
        stopping_ = false;
        thread_ = std::thread([this] {
            asio::io_context io;
            asio::co_spawn(io, loop(), asio::detached);
            io.run();
        });
    }

    /// Finishes the round in progress (its publishes complete or fail) and joins the thread.
    void stop()
    {
        stopping_ = true;
        box_.interrupt();
        if (thread_.joinable())
            thread_.join();
    }

    counters stats() const { return {published_.load(), failed_.load()}; }

private:
    awaitable<void> loop()
    {
        tasker::detail::outage_backoff backoff;
        auto pause = [&](const error& e, std::string_view doing) {
            const duration wait = backoff.next();
            config_.log.warn("component=outbox_relay event={}_failed error=\"{}\" retry_ms={}", doing, e.what(),
                             std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
            (void)box_.wait(wait); // interrupted by stop()
        };
        while (!stopping_) {
            auto batch = box_.claim(config_.batch_size, config_.claim);
            if (!batch) {
                pause(batch.error(), "claim");
                continue;
            }
            if (batch->empty()) {
                if (auto ok = box_.wait(config_.poll_interval); !ok)
                    pause(ok.error(), "wait");
                continue;
            }
            std::vector<std::int64_t> done;
            std::vector<std::int64_t> undone;
            std::optional<error> failure;
            // Runs of one queue and one delay go out as one batch, in claim (commit) order.
            for (std::size_t i = 0; i < batch->size();) {
                const auto& head = (*batch)[i];
                std::size_t j = i;
                std::vector<message> run;
                while (j < batch->size() && (*batch)[j].queue == head.queue && (*batch)[j].delay == head.delay)
                    run.push_back((*batch)[j++].msg);
                if (!failure) {
                    auto sent = co_await broker_.send_batch(head.queue, std::move(run), head.delay);
                    if (!sent)
                        failure = sent.error();
                }
                auto& into = failure ? undone : done;
                for (std::size_t k = i; k < j; ++k)
                    into.push_back((*batch)[k].id);
                i = j;
            }
            published_ += done.size();
            failed_ += undone.size();
            if (auto removed = box_.remove(done); !removed)
                // Published but still in the table: published again once the claim runs out.
                config_.log.warn("component=outbox_relay event=delete_failed count={} error=\"{}\"", done.size(),
                                 removed.error().what());
            if (failure) {
                (void)box_.release(undone); // or they wait for their claim to run out
                pause(*failure, "publish");
                continue;
            }
            backoff.reset();
        }
    }

    outbox_relay_config config_;
    B& broker_;
    outbox box_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::thread thread_;
};

} // namespace tasker::postgres
