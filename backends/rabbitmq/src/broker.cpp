// The broker: its operations as commands on its loop thread, put together from its parts —
// event_loop (the thread), reconnecting_link (the connection), declared_topology (queues and
// exchanges), publisher (confirms), lease_book (deliveries, leases, acks), pack_codec and
// message_headers (what goes on the wire).
#include <tasker/rabbitmq/broker.hpp>
#include <tasker/rabbitmq/errors.hpp>
#include <tasker/rabbitmq/topology.hpp>

#include "connection.hpp"
#include "declared_topology.hpp"
#include "event_loop.hpp"
#include "lease_book.hpp"
#include "message_headers.hpp"
#include "pack_codec.hpp"
#include "publisher.hpp"
#include "queue_waiters.hpp"
#include "reconnecting_link.hpp"

#include <tasker/clock.hpp>
#include <tasker/detail/call_on_backend_thread.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tasker::rabbitmq {

namespace {

using steady = std::chrono::steady_clock;

/// A consumer of a work queue: whether it consumes on the current connection, and when a
/// `read` or `wait` last asked for its deliveries.
struct consumer {
    bool consuming = false;
    steady::time_point last_read{};
};

link_settings link_settings_of(const broker_config& c)
{
    return {.prefetch = c.prefetch,
            .heartbeat = c.heartbeat,
            .timeout = c.timeout,
            .reconnect_min = c.reconnect_min,
            .reconnect_max = c.reconnect_max};
}

std::optional<declared_topology> declarations_of(const result<topology>& names)
{
    if (!names)
        return std::nullopt;
    return declared_topology(*names);
}

arrived to_arrived(amqp::incoming in)
{
    const auto facts = read_headers(in.headers, in.redelivered, std::chrono::system_clock::now());
    return arrived{.tag = in.tag, .body = std::move(in.body), .read_count = facts.read_count,
                   .enqueued_at = facts.enqueued_at};
}

void ignore(result<void>) {}

} // namespace

struct broker::impl {
    broker_config config;
    result<topology> names;
    real_clock clock;
    queue_waiters waiters; // shared with callers

    // The loop thread's alone.
    reconnecting_link link;
    std::optional<declared_topology> declarations; // when `names` is valid
    lease_book book;
    publisher confirms;
    std::map<std::string, consumer> consumers; // by tasker queue name

    event_loop loop; // last: its thread uses every member above

    explicit impl(broker_config c)
        : config(std::move(c)), names(topology::make(config.prefix)),
          link(amqp::endpoint::parse(config.url), link_settings_of(config)), declarations(declarations_of(names)),
          loop([this] { return turn(); }, [this] { shut_down(); })
    {
    }

    // ------------------------------------------------------------------------------------
    // Between commands, on the loop thread

    event_loop::wake_up turn()
    {
        if (link.get())
            (void)pump();
        expire_leases();
        release_unread();
        if (auto ok = link.keep_alive(steady::now()); !ok)
            (void)broke(ok.error());
        if (!link.get() && !consumers.empty() && steady::now() >= link.next_attempt())
            (void)connected(); // consumers resume by themselves after a broker restart
        return next_wake_up();
    }

    event_loop::wake_up next_wake_up()
    {
        event_loop::wake_up w;
        auto no_later_than = [&](steady::time_point t) {
            if (!w.at || t < *w.at)
                w.at = t;
        };
        if (const auto t = book.next_expiry())
            no_later_than(*t);
        for (const auto& [q, c] : consumers)
            if (c.consuming && book.buffered(q) > 0)
                no_later_than(c.last_read + config.hold);
        if (const auto t = link.next_heartbeat())
            no_later_than(*t);
        auto* c = link.get();
        if (!c && !consumers.empty())
            no_later_than(link.next_attempt());
        if (c) {
            w.socket = c->socket();
            if (c->has_buffered()) // read already: poll() would not see it
                w.at = steady::now();
        }
        return w;
    }

    void shut_down()
    {
        confirms.fail_all(error{errc::shutting_down, "rabbitmq broker is stopping"});
        link.close(); // a clean close: RabbitMQ requeues what was not acked
        waiters.notify_everyone();
    }

    /// Leases that ran out: published again (one more delivery counted), then acked.
    void expire_leases()
    {
        for (auto& g : book.expire(steady::now()))
            give_back_copies(std::move(g), duration::zero(), ignore);
    }

    /// Consumers whose deliveries nobody read for `hold`: paused, and their deliveries put
    /// back in the queue (published again with the same read count, then acked) for other
    /// consumers. The next `read` or `wait` resumes the consumer.
    void release_unread()
    {
        const auto now = steady::now();
        for (auto& [q, c] : consumers) {
            auto* l = link.get();
            if (!l || !c.consuming || book.buffered(q) == 0 || now - c.last_read < config.hold)
                continue;
            if (auto ok = l->cancel(names->work_queue(q)); !ok) {
                (void)broke(ok.error());
                return;
            }
            c.consuming = false;
            (void)pump(); // deliveries sent before the cancel took effect
            if (!link.get())
                return;
            for (auto& g : book.unread(q))
                give_back_copies(std::move(g), duration::zero(), ignore);
        }
    }

    // ------------------------------------------------------------------------------------
    // The connection

    /// The live connection, connecting first if there is none and the backoff allows.
    result<amqp::connection*> connected()
    {
        if (!names)
            return names.error();
        if (auto* c = link.get())
            return c;
        const auto now = steady::now();
        if (auto ok = link.may_open(now); !ok)
            return ok.error();
        auto opened = link.open(now);
        if (!opened)
            return broke(opened.error());
        book.connected();
        if (auto ok = declarations->declare_common(**opened); !ok)
            return broke(ok.error());
        for (auto& [q, c] : consumers)
            if (c.consuming) {
                c.consuming = false;
                if (auto ok = start_consuming(q, c); !ok)
                    return ok.error();
            }
        link.established();
        waiters.notify_everyone(); // waiters look again: there may be messages
        return *opened;
    }

    /// Forgets the connection after `e`: what it had not acked RabbitMQ redelivers.
    error broke(error e)
    {
        link.lost(e, steady::now());
        if (declarations)
            declarations->forget();
        book.disconnected(); // consumers keep `consuming`: the next connection resumes them
        confirms.fail_all(e);
        waiters.notify_everyone();
        return e;
    }

    result<void> declare_work_queue(const std::string& q)
    {
        if (auto ok = declarations->work_queue(*link.get(), q); !ok)
            return broke(ok.error());
        return {};
    }

    result<void> start_consuming(const std::string& q, consumer& c)
    {
        if (c.consuming)
            return {};
        if (auto ok = declare_work_queue(q); !ok)
            return ok;
        const auto queue = names->work_queue(q); // also the consumer tag
        if (auto ok = link.get()->consume(queue, queue); !ok)
            return broke(ok.error());
        c.consuming = true;
        return {};
    }

    /// Reads every event the connection has for us without waiting; with `get_reply_for`,
    /// first waits (up to the timeout) for the reply of a basic.get of that queue.
    result<void> pump(std::optional<std::string> get_reply_for = std::nullopt)
    {
        std::vector<std::string> woken;
        result<void> outcome;
        while (auto* c = link.get()) {
            auto e = c->next_event(get_reply_for ? config.timeout : duration::zero());
            if (!e) {
                outcome = broke(e.error());
                break;
            }
            if (!*e) {
                if (get_reply_for) {
                    error late{errc::backend_unavailable, "rabbitmq did not answer basic.get in time"};
                    late.origin = make_error_code(client_status::timeout);
                    outcome = broke(std::move(late));
                }
                break;
            }
            on_event(std::move(**e), get_reply_for, woken);
        }
        if (auto* c = link.get())
            c->release_buffers();
        for (const auto& q : woken)
            waiters.notify(q);
        return outcome;
    }

    void on_event(amqp::event e, std::optional<std::string>& get_reply_for, std::vector<std::string>& woken)
    {
        switch (e.what) {
        case amqp::event::kind::got:
            if (!get_reply_for)
                book.arrive_unclaimed(e.message.tag);
            else if (book.arrive(*get_reply_for, to_arrived(std::move(e.message))))
                woken.push_back(*get_reply_for);
            get_reply_for.reset();
            break;
        case amqp::event::kind::got_nothing: get_reply_for.reset(); break;
        case amqp::event::kind::delivery: on_delivery(std::move(e.message), woken); break;
        case amqp::event::kind::confirm: confirms.confirmed(e.seq, e.multiple); break;
        case amqp::event::kind::reject_confirm:
            confirms.confirmed(e.seq, e.multiple,
                               error{errc::backend_unavailable, "rabbitmq could not store a message (publisher nack)"});
            break;
        case amqp::event::kind::cancelled:
            // The queue was deleted under us: consume again (it is declared anew) on next use.
            for (auto& [q, c] : consumers)
                if (names->work_queue(q) == e.message.consumer_tag) {
                    book.drop_buffered(q); // gone with their queue
                    c.consuming = false;
                    declarations->forget(q);
                }
            break;
        }
    }

    void on_delivery(amqp::incoming in, std::vector<std::string>& woken)
    {
        const auto& prefix = names->prefix();
        if (in.consumer_tag.compare(0, prefix.size(), prefix) != 0)
            return book.arrive_unclaimed(in.tag);
        const auto q = in.consumer_tag.substr(prefix.size());
        if (!consumers.contains(q))
            return book.arrive_unclaimed(in.tag);
        if (book.arrive(q, to_arrived(std::move(in))))
            woken.push_back(q);
    }

    // ------------------------------------------------------------------------------------
    // Operations, on the loop thread

    bool is_packed(const std::string& q) const
    {
        return std::any_of(config.packed_queues.begin(), config.packed_queues.end(),
                           [&](const queue_name& p) { return p.str() == q; });
    }

    /// Publishes `ms` to queue `q` (through the delay queue of `delay` if positive); `done`
    /// runs when RabbitMQ confirmed every one.
    void publish(const std::string& q, std::vector<outgoing> ms, duration delay, detail::backend_reply<void> done)
    {
        auto c = connected();
        if (!c)
            return done(c.error());
        if (auto ok = declare_work_queue(q); !ok)
            return done(ok.error());
        std::optional<std::chrono::milliseconds> bucket;
        if (delay > duration::zero()) {
            bucket = delay_bucket(delay);
            if (auto ok = declarations->delay_queue(**c, *bucket, steady::now()); !ok)
                return done(broke(ok.error()));
        }
        auto headers = publish_headers(std::chrono::system_clock::now() + std::max(delay, duration::zero()), bucket);
        const auto exchange = bucket ? names->delay_exchange() : std::string{};
        const auto routing_key = names->work_queue(q);
        if (is_packed(q))
            ms = pack(std::move(ms), config.pack_limit);
        amqp::connection& to = **c;
        const publisher::send_function send = [&](const outgoing& m) {
            headers[0].number = m.read_count; // publish_headers puts the read count first
            return to.publish(exchange, routing_key, m.body, headers);
        };
        if (auto ok = confirms.publish(std::move(ms), send, std::move(done)); !ok)
            (void)broke(ok.error());
    }

    /// Publishes the copies of `g` (visible after `delay`) and settles them once confirmed
    /// (acking the delivery if that was the last of it); `done` gets the publish's outcome.
    void give_back_copies(give_back g, duration delay, detail::backend_reply<void> done)
    {
        const auto n = g.copies.size();
        auto ack_original = [this, tag = g.tag, gen = g.generation, n, done = std::move(done)](result<void> r) {
            if (r && link.get() && book.settle(tag, gen, n))
                if (auto ok = link.get()->ack(tag); !ok)
                    (void)broke(ok.error());
            done(r);
        };
        publish(g.queue, std::move(g.copies), delay, std::move(ack_original));
    }

    result<std::size_t> subscribe(const std::string& q)
    {
        auto c = connected();
        if (!c)
            return c.error();
        auto& con = consumers[q];
        con.last_read = steady::now();
        if (auto ok = start_consuming(q, con); !ok)
            return ok.error();
        return book.buffered(q);
    }

    result<std::vector<delivery>> take(const std::string& q, std::size_t max, duration lease)
    {
        auto ready = subscribe(q);
        if (!ready)
            return ready.error();
        if (*ready == 0) {
            // Deliveries are pushed, so a message sent (and confirmed) just now may still be on
            // its way. basic.get takes one left in the queue and is a barrier: every delivery
            // pushed before it has arrived once it returns.
            if (auto sent = link.get()->request_get(names->work_queue(q)); !sent)
                return broke(sent.error());
            if (auto answered = pump(q); !answered)
                return answered.error();
        }
        auto out = book.take(q, max, steady::now() + std::chrono::duration_cast<steady::duration>(lease));
        // Not tasker messages: no reader could ever take them. To the dead-letter queue.
        for (auto tag : out.rejected)
            if (auto* l = link.get(); l)
                if (auto ok = l->reject(tag); !ok)
                    return broke(ok.error());
        return std::move(out.deliveries);
    }

    void acknowledge(const std::vector<delivery_id>& ids)
    {
        const auto plan = book.acknowledge(ids);
        auto* l = link.get();
        if (plan.empty() || !l)
            return;
        if (plan.up_to)
            if (auto ok = l->ack(*plan.up_to, true); !ok)
                return (void)broke(ok.error());
        for (auto tag : plan.each)
            if (auto ok = l->ack(tag); !ok)
                return (void)broke(ok.error());
    }
};

broker::broker(broker_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

broker::~broker() = default;

const broker_config& broker::config() const noexcept { return impl_->config; }

awaitable<result<void>> broker::ensure_queue(queue_name q)
{
    auto op = [this, q](detail::backend_reply<void> reply) {
        auto c = impl_->connected();
        if (!c)
            return reply(c.error());
        reply(impl_->declare_work_queue(q.str()));
    };
    co_return co_await impl_->loop.call<void>(std::move(op));
}

awaitable<result<void>> broker::send(queue_name q, message m, duration delay)
{
    std::vector<message> one{std::move(m)};
    co_return co_await send_batch(q, std::move(one), delay);
}

awaitable<result<void>> broker::send_batch(queue_name q, std::vector<message> ms, duration delay)
{
    std::vector<outgoing> bodies;
    bodies.reserve(ms.size());
    for (const auto& m : ms)
        bodies.push_back({json::serialize(to_json(m)), 0});
    auto op = [this, q, bodies = std::move(bodies), delay](detail::backend_reply<void> reply) mutable {
        impl_->publish(q.str(), std::move(bodies), delay, std::move(reply));
    };
    co_return co_await impl_->loop.call<void>(std::move(op));
}

awaitable<result<std::vector<delivery>>> broker::read(queue_name q, std::size_t max, duration lease)
{
    auto op = [this, q, max, lease](detail::backend_reply<std::vector<delivery>> reply) {
        reply(impl_->take(q.str(), max, lease));
    };
    co_return co_await impl_->loop.call<std::vector<delivery>>(std::move(op));
}

awaitable<result<void>> broker::ack(queue_name, std::vector<delivery_id> ids)
{
    if (ids.empty())
        co_return result<void>{};
    auto op = [this, ids = std::move(ids)](detail::backend_reply<void> reply) {
        impl_->acknowledge(ids);
        reply(result<void>{});
    };
    co_return co_await impl_->loop.call<void>(std::move(op));
}

awaitable<result<void>> broker::nack(queue_name, delivery_id id, duration delay)
{
    auto op = [this, id, delay](detail::backend_reply<void> reply) {
        auto g = impl_->book.withdraw(id);
        if (!g)
            return reply(result<void>{}); // not ours any more: it comes back anyway
        impl_->give_back_copies(std::move(*g), delay, std::move(reply));
    };
    co_return co_await impl_->loop.call<void>(std::move(op));
}

awaitable<result<void>> broker::extend_lease(queue_name, delivery_id id, duration lease)
{
    auto op = [this, id, lease](detail::backend_reply<void> reply) {
        impl_->book.extend(id, steady::now() + std::chrono::duration_cast<steady::duration>(lease));
        reply(result<void>{});
    };
    co_return co_await impl_->loop.call<void>(std::move(op));
}

awaitable<result<void>> broker::wait(queue_name q, time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    auto& waiters = impl_->waiters.of(q.str());
    const auto seen = waiters.version(); // before looking: a delivery after this is not lost
    auto op = [this, q](detail::backend_reply<std::size_t> reply) { reply(impl_->subscribe(q.str())); };
    auto ready = co_await impl_->loop.call<std::size_t>(std::move(op));
    if (!ready)
        co_return ready.error();
    if (*ready > 0 || impl_->clock.now() >= deadline)
        co_return result<void>{};
    co_await (waiters.wait(time_point::max(), seen) || impl_->clock.wait_until(deadline));
    co_return result<void>{};
}

} // namespace tasker::rabbitmq
