#include <tasker/rabbitmq/broker.hpp>
#include <tasker/rabbitmq/errors.hpp>
#include <tasker/rabbitmq/topology.hpp>

#include "connection.hpp"

#include <tasker/clock.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/model/json.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

namespace tasker::rabbitmq {

namespace {

using steady = std::chrono::steady_clock;

// Headers tasker puts on its messages.
constexpr const char* read_count_header = "x-tasker-read-count"; // deliveries before this publish
constexpr const char* visible_at_header = "x-tasker-visible-at-us"; // when it became (becomes) visible
constexpr const char* delay_header = "x-tasker-delay-ms";         // routes it to its delay queue

std::int64_t epoch_us(time_point t)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

/// A message on its way out: the body, and how often it was delivered before.
struct outgoing {
    std::string body;
    std::uint32_t read_count = 0;
};

/// A delivery RabbitMQ pushed that no `read` has taken (all of) yet.
struct arrived {
    std::uint64_t tag = 0;
    std::string body; ///< as it came; moved into `parts` when opened
    std::uint32_t read_count = 1;
    time_point enqueued_at;
    /// Once a `read` opened it: the tasker messages it carries (one, or a pack), each with
    /// its own JSON text, and how many of them were handed out.
    std::optional<std::vector<std::pair<message, std::string>>> parts;
    std::size_t taken = 0;
};

/// The tasker messages an AMQP body carries: one (a JSON object, which keeps `body` as its
/// text) or a pack (an array of them).
result<std::vector<std::pair<message, std::string>>> open_body(std::string body)
{
    auto parsed = parse_json(body);
    if (!parsed)
        return parsed.error();
    std::vector<std::pair<message, std::string>> out;
    if (const auto* pack = parsed->if_array()) {
        if (pack->empty())
            return error{errc::malformed_json, "an empty pack of messages"};
        out.reserve(pack->size());
        for (const auto& v : *pack) {
            auto m = message_from_json(v);
            if (!m)
                return m.error();
            out.emplace_back(std::move(*m), json::serialize(v));
        }
        return out;
    }
    auto m = message_from_json(*parsed);
    if (!m)
        return m.error();
    out.emplace_back(std::move(*m), std::move(body));
    return out;
}

/// A delivery handed out by `read`, until acked, nacked or its lease ends.
struct leased {
    std::string queue; ///< tasker queue name
    std::uint64_t tag = 0;
    std::uint64_t generation = 0; ///< of the connection it came on: tags mean nothing on another
    steady::time_point until;
    std::string body;
    std::uint32_t read_count = 1;
};

struct consumer {
    bool consuming = false; ///< on the current connection
    std::deque<arrived> ready;
    std::chrono::steady_clock::time_point last_read{}; ///< by `read` or `wait`
};

/// Publishes waiting for their confirms; `done` runs once all are confirmed (or one is not).
struct confirm_batch {
    std::size_t remaining = 0;
    std::optional<error> failed;
    std::function<void(result<void>)> done;
};

} // namespace

struct broker::impl {
    broker_config config;
    result<topology> names;
    result<amqp::endpoint> where;
    real_clock clock;

    // Shared with callers.
    std::mutex mutex;
    std::deque<std::function<void()>> commands;
    std::map<std::string, std::unique_ptr<detail::waiter_list>> waiters; // by tasker queue name
    std::atomic<bool> stopping{false};
    int wake_fd = -1;
    std::thread thread;

    // The loop thread's alone.
    std::optional<amqp::connection> link;
    std::uint64_t generation = 0;
    std::optional<error> last_failure; ///< why the last connect failed / the link broke
    steady::time_point next_attempt{};
    duration backoff{};
    steady::time_point last_heartbeat{};
    std::map<std::string, steady::time_point> declared;          // work queues, this connection
    std::map<std::int64_t, steady::time_point> delay_declared;   // delay buckets (ms), this connection
    std::map<std::string, consumer> consumers;                   // by tasker queue name
    std::map<delivery_id, leased> leases; // in read order: expired ones go back in it
    /// Delivery tags of the current connection not acked or rejected yet, every one, whatever
    /// became of it here: an ack with `multiple` may cover only a prefix of this set.
    std::set<std::uint64_t> unacked;
    /// Packs of the current connection opened by a `read`: how many of their messages are
    /// not settled (acked, or given back) yet. A pack is acked when this reaches zero.
    std::map<std::uint64_t, std::size_t> parts_left;
    delivery_id next_id = 1;
    std::map<std::uint64_t, std::shared_ptr<confirm_batch>> unconfirmed; // by publish sequence number

    explicit impl(broker_config c)
        : config(std::move(c)), names(topology::make(config.prefix)), where(amqp::endpoint::parse(config.url)),
          backoff(config.reconnect_min)
    {
        wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        thread = std::thread([this] { run(); });
    }

    ~impl()
    {
        stopping = true;
        wake();
        thread.join();
        ::close(wake_fd);
    }

    void wake() const
    {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
    }

    detail::waiter_list& waiters_of(const std::string& q)
    {
        std::lock_guard lock(mutex);
        auto& w = waiters[q];
        if (!w)
            w = std::make_unique<detail::waiter_list>();
        return *w;
    }

    void notify(const std::string& q)
    {
        std::lock_guard lock(mutex);
        if (auto it = waiters.find(q); it != waiters.end())
            it->second->notify_all();
    }

    void notify_everyone()
    {
        std::lock_guard lock(mutex);
        for (auto& [q, w] : waiters)
            w->notify_all();
    }

    /// Runs `f(reply)` on the loop thread; the awaiting coroutine resumes on its executor with
    /// what `reply` is given (exactly once: now, or later, e.g. on a publisher confirm).
    template <class T, class F>
    awaitable<result<T>> call(F f)
    {
        // Named, not built inside the co_await: g++ 12 destroys such temporaries twice.
        auto initiation = [this, f = std::move(f)](auto handler) mutable {
            using handler_type = decltype(handler);
            auto target = asio::get_associated_executor(handler);
            auto tracked = asio::prefer(target, asio::execution::outstanding_work.tracked);
            struct pending {
                handler_type handler;
                decltype(tracked) work;
            };
            auto state = std::make_shared<pending>(pending{std::move(handler), std::move(tracked)});
            std::function<void(result<T>)> reply = [state, target](result<T> r) {
                asio::post(target, [state, r = std::move(r)]() mutable {
                    // The work guard ends here, on the caller's thread (its io_context may be gone
                    // by the time the loop thread drops its copy of `state`).
                    auto ending = std::move(state->work);
                    std::move(state->handler)(std::move(r));
                });
            };
            submit([this, f = std::move(f), reply = std::move(reply)]() mutable {
                if (stopping)
                    return reply(error{errc::shutting_down, "rabbitmq broker is stopping"});
                f(reply);
            });
        };
        co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(result<T>)>(
            std::move(initiation), asio::use_awaitable);
    }

    void submit(std::function<void()> command)
    {
        {
            std::lock_guard lock(mutex);
            commands.push_back(std::move(command));
        }
        wake();
    }

    // ------------------------------------------------------------------------------------
    // The loop thread

    void run()
    {
        while (true) {
            std::deque<std::function<void()>> todo;
            {
                std::lock_guard lock(mutex);
                todo.swap(commands);
            }
            for (auto& c : todo)
                c(); // each replies, or fails with shutting_down once stopping
            if (stopping)
                break;
            if (link)
                (void)pump();
            expire_leases();
            release_unread();
            keep_alive();
            if (!link && !consumers.empty() && steady::now() >= next_attempt)
                (void)connected(); // consumers resume by themselves after a broker restart
            sleep_until_something();
        }
        shut_down();
    }

    void shut_down()
    {
        std::deque<std::function<void()>> todo;
        {
            std::lock_guard lock(mutex);
            todo.swap(commands);
        }
        for (auto& c : todo)
            c();
        fail_unconfirmed(error{errc::shutting_down, "rabbitmq broker is stopping"});
        link.reset(); // a clean close: RabbitMQ requeues what was not acked
        notify_everyone();
    }

    void sleep_until_something()
    {
        auto timeout = std::chrono::milliseconds(-1);
        const auto now = steady::now();
        auto until = [&](steady::time_point t) {
            const auto ms = std::max<std::int64_t>(
                0, std::chrono::ceil<std::chrono::milliseconds>(t - now).count());
            if (timeout.count() < 0 || ms < timeout.count())
                timeout = std::chrono::milliseconds(ms);
        };
        for (const auto& [id, l] : leases)
            until(l.until);
        for (const auto& [q, c] : consumers)
            if (c.consuming && !c.ready.empty())
                until(c.last_read + config.hold);
        if (link && config.heartbeat > duration::zero())
            until(last_heartbeat + config.heartbeat / 2);
        if (!link && !consumers.empty())
            until(next_attempt);
        if (link && link->has_buffered())
            timeout = std::chrono::milliseconds(0);

        pollfd fds[2] = {{wake_fd, POLLIN, 0}, {link ? link->socket() : -1, POLLIN, 0}};
        ::poll(fds, link ? 2 : 1, static_cast<int>(std::min<std::int64_t>(timeout.count(), 60'000)));
        std::uint64_t drained = 0;
        [[maybe_unused]] auto n = ::read(wake_fd, &drained, sizeof drained);
    }

    /// The live connection, connecting first if there is none and the backoff allows.
    result<amqp::connection*> connected()
    {
        if (!names)
            return names.error();
        if (!where)
            return where.error();
        if (link)
            return &*link;
        if (steady::now() < next_attempt && last_failure)
            return *last_failure;
        auto opened = amqp::connection::open(*where, config.prefetch, config.heartbeat, config.timeout);
        if (!opened)
            return broke(opened.error());
        link.emplace(std::move(*opened));
        ++generation;
        unacked.clear();
        parts_left.clear();
        last_heartbeat = steady::now();
        if (auto ok = declare_common(); !ok)
            return broke(ok.error());
        for (auto& [q, c] : consumers)
            if (c.consuming) {
                c.consuming = false;
                if (auto ok = start_consuming(q, c); !ok)
                    return broke(ok.error());
            }
        backoff = config.reconnect_min;
        last_failure.reset();
        notify_everyone(); // waiters look again: there may be messages
        return &*link;
    }

    /// Forgets the connection after `e`: what it had not acked RabbitMQ redelivers.
    error broke(error e)
    {
        link.reset();
        declared.clear();
        delay_declared.clear();
        leases.clear(); // their tags are void; RabbitMQ requeues the messages
        for (auto& [q, c] : consumers) {
            c.ready.clear();
            // `consuming` stays: the next connection resumes it.
        }
        fail_unconfirmed(e);
        last_failure = e;
        next_attempt = steady::now() + backoff;
        backoff = std::min<duration>(backoff * 2, config.reconnect_max);
        notify_everyone();
        return e;
    }

    void fail_unconfirmed(const error& e)
    {
        auto pending = std::move(unconfirmed);
        unconfirmed.clear();
        std::vector<std::shared_ptr<confirm_batch>> batches;
        for (auto& [seq, b] : pending)
            if (!b->failed) {
                b->failed = e;
                batches.push_back(b);
            }
        for (auto& b : batches)
            b->done(*b->failed);
    }

    result<void> declare_common()
    {
        const auto& t = *names;
        if (auto ok = link->declare_exchange(t.dead_letter_exchange(), "fanout"); !ok)
            return ok;
        if (auto ok = link->declare_queue(t.dead_letter_queue(), {}); !ok)
            return ok;
        if (auto ok = link->bind_queue(t.dead_letter_queue(), t.dead_letter_exchange(), "", {}); !ok)
            return ok;
        return link->declare_exchange(t.delay_exchange(), "headers");
    }

    result<void> declare_work_queue(const std::string& q)
    {
        if (declared.contains(q))
            return {};
        amqp::arguments args{{.key = "x-dead-letter-exchange", .text = names->dead_letter_exchange()}};
        if (auto ok = link->declare_queue(names->work_queue(q), args); !ok)
            return broke(ok.error());
        declared.emplace(q, steady::now());
        return {};
    }

    /// The delay queue of `bucket`, declared again every half hour: it expires after an hour
    /// unused, and publishing does not count as use.
    result<void> declare_delay_queue(std::chrono::milliseconds bucket)
    {
        constexpr auto refresh = std::chrono::minutes(30);
        const auto now = steady::now();
        if (auto it = delay_declared.find(bucket.count()); it != delay_declared.end() && now - it->second < refresh)
            return {};
        const auto& t = *names;
        const auto ms = bucket.count();
        amqp::arguments args{{.key = "x-message-ttl", .number = ms, .is_number = true},
                             {.key = "x-dead-letter-exchange", .text = ""},
                             {.key = "x-expires", .number = ms + 3'600'000, .is_number = true}};
        if (auto ok = link->declare_queue(t.delay_queue(bucket), args); !ok)
            return broke(ok.error());
        amqp::arguments match{{.key = "x-match", .text = "all"}, {.key = delay_header, .text = std::to_string(ms)}};
        if (auto ok = link->bind_queue(t.delay_queue(bucket), t.delay_exchange(), "", match); !ok)
            return broke(ok.error());
        delay_declared[ms] = now;
        return {};
    }

    result<void> start_consuming(const std::string& q, consumer& c)
    {
        if (c.consuming)
            return {};
        if (auto ok = declare_work_queue(q); !ok)
            return ok;
        if (auto ok = link->consume(names->work_queue(q), names->work_queue(q)); !ok) // consumer tag: the queue's name
            return broke(ok.error());
        c.consuming = true;
        return {};
    }

    /// Publishes `ms` to queue `q` (through the delay queue of `delay` if positive); `done`
    /// runs when RabbitMQ confirmed every one.
    void publish(const std::string& q, std::vector<outgoing> ms, duration delay, std::function<void(result<void>)> done)
    {
        auto c = connected();
        if (!c)
            return done(c.error());
        if (auto ok = declare_work_queue(q); !ok)
            return done(ok.error());
        const auto& t = *names;
        std::string exchange;
        std::vector<amqp::header> headers{{.key = read_count_header, .is_number = true},
                                          {.key = visible_at_header,
                                           .number = epoch_us(std::chrono::system_clock::now() + std::max(delay, duration::zero())),
                                           .is_number = true}};
        if (delay > duration::zero()) {
            const auto bucket = delay_bucket(delay);
            if (auto ok = declare_delay_queue(bucket); !ok)
                return done(ok.error());
            exchange = t.delay_exchange();
            headers.push_back({.key = delay_header, .text = std::to_string(bucket.count())});
        }
        if (ms.empty())
            return done(result<void>{});
        if (is_packed(q))
            ms = pack(std::move(ms));
        auto batch = std::make_shared<confirm_batch>();
        batch->remaining = ms.size();
        batch->done = std::move(done);
        const auto routing_key = names->work_queue(q);
        for (auto& m : ms) {
            headers[0].number = m.read_count;
            auto seq = link->publish(exchange, routing_key, m.body, headers);
            if (!seq) {
                batch->remaining = 0;
                (void)broke(seq.error()); // fails `batch` with the rest of the unconfirmed
                if (!batch->failed)
                    batch->done(seq.error());
                return;
            }
            unconfirmed.emplace(*seq, batch);
        }
    }

    bool is_packed(const std::string& q) const
    {
        return std::any_of(config.packed_queues.begin(), config.packed_queues.end(),
                           [&](const queue_name& p) { return p.str() == q; });
    }

    /// Consecutive messages with the same read count, up to `pack_limit` at a time, as one
    /// body each: a JSON array of them (a single message stays as it is).
    std::vector<outgoing> pack(std::vector<outgoing> ms) const
    {
        const auto limit = std::max<std::size_t>(config.pack_limit, 1);
        std::vector<outgoing> packs;
        for (std::size_t i = 0; i < ms.size();) {
            std::size_t j = i + 1;
            while (j < ms.size() && j - i < limit && ms[j].read_count == ms[i].read_count)
                ++j;
            if (j - i == 1) {
                packs.push_back(std::move(ms[i]));
            } else {
                outgoing p{"[", ms[i].read_count};
                for (std::size_t k = i; k < j; ++k) {
                    if (k > i)
                        p.body += ',';
                    p.body += ms[k].body;
                }
                p.body += ']';
                packs.push_back(std::move(p));
            }
            i = j;
        }
        return packs;
    }

    /// Settles `n` messages of delivery `tag` (of connection `gen`): true when the delivery
    /// itself is to be acked now (a single message, or the last of its pack).
    bool settle(std::uint64_t tag, std::uint64_t gen, std::size_t n = 1)
    {
        if (gen != generation || !link)
            return false; // tags mean nothing on another connection: RabbitMQ requeued it
        auto it = parts_left.find(tag);
        if (it == parts_left.end())
            return true;
        if (it->second > n) {
            it->second -= n;
            return false;
        }
        parts_left.erase(it);
        return true;
    }

    /// Reads every event the connection has for us without waiting; with `get_reply_for`,
    /// first waits (up to the timeout) for the reply of a basic.get of that queue.
    result<void> pump(std::optional<std::string> get_reply_for = std::nullopt)
    {
        std::vector<std::string> woken;
        result<void> outcome;
        while (link) {
            auto e = link->next_event(get_reply_for ? config.timeout : duration::zero());
            if (!e) {
                outcome = broke(e.error());
                break;
            }
            if (!*e) {
                if (get_reply_for) {
                    error late{errc::backend_unavailable, "rabbitmq did not answer basic.get in time"};
                    late.origin = make_error_code(client_status::timeout);
                    outcome = broke(std::move(late));
                    break;
                }
                break;
            }
            switch ((*e)->what) {
            case amqp::event::kind::got:
                unacked.insert((*e)->message.tag);
                if (get_reply_for) {
                    auto& c = consumers[*get_reply_for];
                    if (c.ready.empty())
                        woken.push_back(*get_reply_for);
                    c.ready.push_back(to_arrived(std::move((*e)->message)));
                }
                get_reply_for.reset();
                break;
            case amqp::event::kind::got_nothing: get_reply_for.reset(); break;
            case amqp::event::kind::delivery: on_delivery(std::move((*e)->message), woken); break;
            case amqp::event::kind::confirm: on_confirm((*e)->seq, (*e)->multiple, std::nullopt); break;
            case amqp::event::kind::reject_confirm:
                on_confirm((*e)->seq, (*e)->multiple,
                           error{errc::backend_unavailable, "rabbitmq could not store a message (publisher nack)"});
                break;
            case amqp::event::kind::cancelled:
                // The queue was deleted under us: consume again (it is declared anew) on next use.
                for (auto& [q, c] : consumers)
                    if (names->work_queue(q) == (*e)->message.consumer_tag) {
                        for (const auto& a : c.ready) // gone with their queue
                            unacked.erase(a.tag), parts_left.erase(a.tag);
                        c.consuming = false, c.ready.clear(), declared.erase(q);
                    }
                break;
            }
        }
        if (link)
            link->release_buffers();
        for (const auto& q : woken)
            notify(q);
        return outcome;
    }

    void on_delivery(amqp::incoming in, std::vector<std::string>& woken)
    {
        unacked.insert(in.tag);
        const auto& prefix = names->prefix();
        if (in.consumer_tag.compare(0, prefix.size(), prefix) != 0)
            return;
        const auto q = in.consumer_tag.substr(prefix.size());
        auto it = consumers.find(q);
        if (it == consumers.end())
            return;
        if (it->second.ready.empty())
            woken.push_back(q);
        it->second.ready.push_back(to_arrived(std::move(in)));
    }

    static arrived to_arrived(amqp::incoming in)
    {
        arrived a;
        a.tag = in.tag;
        a.body = std::move(in.body);
        std::uint32_t before = 0;
        a.enqueued_at = std::chrono::system_clock::now();
        for (const auto& h : in.headers) {
            if (h.key == read_count_header && h.is_number)
                before = static_cast<std::uint32_t>(h.number);
            else if (h.key == visible_at_header && h.is_number)
                a.enqueued_at = time_point(std::chrono::duration_cast<duration>(std::chrono::microseconds(h.number)));
        }
        // A redelivery by RabbitMQ (a consumer's connection died) counts once.
        a.read_count = before + 1 + (in.redelivered ? 1 : 0);
        return a;
    }

    void on_confirm(std::uint64_t seq, bool multiple, std::optional<error> failure)
    {
        const auto end = multiple ? unconfirmed.upper_bound(seq) : unconfirmed.find(seq);
        auto first = multiple ? unconfirmed.begin() : end;
        auto last = multiple ? end : (end == unconfirmed.end() ? end : std::next(end));
        std::vector<std::shared_ptr<confirm_batch>> finished;
        for (auto it = first; it != last; ++it) {
            auto& b = it->second;
            if (failure && !b->failed)
                b->failed = failure;
            if (--b->remaining == 0)
                finished.push_back(b);
        }
        unconfirmed.erase(first, last);
        for (auto& b : finished)
            b->done(b->failed ? result<void>(*b->failed) : result<void>{});
    }

    /// Leases that ran out: published again (one more delivery counted), then acked.
    void expire_leases()
    {
        const auto now = steady::now();
        std::vector<leased> expired;
        for (auto it = leases.begin(); it != leases.end();) {
            if (it->second.until <= now) {
                expired.push_back(std::move(it->second));
                it = leases.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& l : expired)
            give_back(std::move(l), duration::zero(), [](result<void>) {});
    }

    /// Publishes a copy of `l` (visible after `delay`) and acks the original once the copy is
    /// confirmed: a crash in between leaves two copies, never none.
    void give_back(leased l, duration delay, std::function<void(result<void>)> done)
    {
        std::vector<outgoing> copy{{std::move(l.body), l.read_count}};
        give_back(l.queue, l.tag, l.generation, std::move(copy), delay, std::move(done));
    }

    /// Publishes `copies` of messages of delivery `tag`, then settles them.
    void give_back(const std::string& q, std::uint64_t tag, std::uint64_t gen, std::vector<outgoing> copies,
                   duration delay, std::function<void(result<void>)> done)
    {
        auto ack_original = [this, tag, gen, n = copies.size(), done = std::move(done)](result<void> r) {
            if (r && settle(tag, gen, n)) {
                unacked.erase(tag);
                if (auto ok = link->ack(tag); !ok)
                    (void)broke(ok.error());
            }
            done(r);
        };
        publish(q, std::move(copies), delay, std::move(ack_original));
    }

    /// Consumers whose deliveries nobody read for `hold`: paused, and their deliveries put
    /// back in the queue (published again with the same read count, then acked) for other
    /// consumers. The next `read` or `wait` resumes the consumer.
    void release_unread()
    {
        const auto now = steady::now();
        for (auto& [q, c] : consumers) {
            if (!link || !c.consuming || c.ready.empty() || now - c.last_read < config.hold)
                continue;
            if (auto ok = link->cancel(names->work_queue(q)); !ok) {
                (void)broke(ok.error());
                return;
            }
            c.consuming = false;
            (void)pump(); // deliveries sent before the cancel took effect
            if (!link)
                return;
            auto unread = std::move(c.ready);
            c.ready.clear();
            for (auto& a : unread) {
                const auto before = a.read_count - 1; // never handed out: not a delivery
                std::vector<outgoing> copies;
                if (!a.parts)
                    copies.push_back({std::move(a.body), before}); // whole, as it came
                else
                    for (auto k = a.taken; k < a.parts->size(); ++k)
                        copies.push_back({std::move((*a.parts)[k].second), before});
                give_back(q, a.tag, generation, std::move(copies), duration::zero(), [](result<void>) {});
            }
        }
    }

    void keep_alive()
    {
        if (!link || config.heartbeat <= duration::zero())
            return;
        const auto now = steady::now();
        if (now - last_heartbeat < config.heartbeat / 2)
            return;
        last_heartbeat = now;
        if (auto ok = link->heartbeat(); !ok)
            (void)broke(ok.error());
    }

    // ------------------------------------------------------------------------------------
    // Operations, on the loop thread

    result<std::size_t> subscribe(const std::string& q)
    {
        auto c = connected();
        if (!c)
            return c.error();
        auto& con = consumers[q];
        con.last_read = steady::now();
        if (auto ok = start_consuming(q, con); !ok)
            return ok.error();
        return con.ready.size();
    }

    result<std::vector<delivery>> take(const std::string& q, std::size_t max, duration lease)
    {
        auto ready = subscribe(q);
        if (!ready)
            return ready.error();
        auto& con = consumers[q];
        if (con.ready.empty()) {
            // Deliveries are pushed, so a message sent (and confirmed) just now may still be on
            // its way. basic.get takes one left in the queue and is a barrier: every delivery
            // pushed before it has arrived once it returns.
            if (auto sent = link->request_get(names->work_queue(q)); !sent)
                return broke(sent.error());
            if (auto answered = pump(q); !answered)
                return answered.error();
        }
        std::vector<delivery> out;
        const auto until = steady::now() + std::chrono::duration_cast<steady::duration>(lease);
        while (out.size() < max && !con.ready.empty()) {
            auto& a = con.ready.front();
            if (!a.parts) {
                auto parts = open_body(std::move(a.body)); // the parts keep what is given back
                if (!parts) {
                    // Not tasker messages: no reader could ever take them. To the dead-letter queue.
                    const auto tag = a.tag;
                    con.ready.pop_front();
                    unacked.erase(tag);
                    if (auto ok = link->reject(tag); !ok)
                        return broke(ok.error());
                    continue;
                }
                a.parts = std::move(*parts);
                if (a.parts->size() > 1)
                    parts_left[a.tag] = a.parts->size();
            }
            for (; out.size() < max && a.taken < a.parts->size(); ++a.taken) {
                auto& [m, text] = (*a.parts)[a.taken];
                const auto id = next_id++;
                out.push_back(delivery{id, std::move(m), a.read_count, a.enqueued_at});
                leases.emplace(id, leased{q, a.tag, generation, until, std::move(text), a.read_count});
            }
            if (a.taken == a.parts->size())
                con.ready.pop_front();
        }
        return out;
    }

    /// One frame for the longest run of the oldest unacked deliveries that are all acked
    /// here (an ack with `multiple`), one per delivery for the rest: consumers ack in
    /// batches, mostly in delivery order, and RabbitMQ spends less per frame than per tag.
    void acknowledge(const std::vector<delivery_id>& ids)
    {
        std::vector<std::uint64_t> tags;
        for (auto id : ids) {
            auto it = leases.find(id);
            if (it == leases.end())
                continue; // already given back (lease ended), or from a connection gone since
            if (settle(it->second.tag, it->second.generation))
                tags.push_back(it->second.tag);
            leases.erase(it);
        }
        if (tags.empty() || !link)
            return;
        std::sort(tags.begin(), tags.end());
        std::size_t run = 0;
        for (auto oldest = unacked.begin(); run < tags.size() && oldest != unacked.end() && *oldest == tags[run];
             ++oldest)
            ++run;
        if (run < 2)
            run = 0;
        else if (auto ok = link->ack(tags[run - 1], true); !ok)
            return (void)broke(ok.error());
        for (auto t = tags.begin() + static_cast<std::ptrdiff_t>(run); t != tags.end(); ++t)
            if (auto ok = link->ack(*t); !ok)
                return (void)broke(ok.error());
        for (auto t : tags)
            unacked.erase(t);
    }
};

broker::broker(broker_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

broker::~broker() = default;

const broker_config& broker::config() const noexcept { return impl_->config; }

awaitable<result<void>> broker::ensure_queue(queue_name q)
{
    auto op = [this, q](std::function<void(result<void>)> reply) {
        auto c = impl_->connected();
        if (!c)
            return reply(c.error());
        reply(impl_->declare_work_queue(q.str()));
    };
    co_return co_await impl_->call<void>(std::move(op));
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
    auto op = [this, q, bodies = std::move(bodies), delay](std::function<void(result<void>)> reply) mutable {
        impl_->publish(q.str(), std::move(bodies), delay, std::move(reply));
    };
    co_return co_await impl_->call<void>(std::move(op));
}

awaitable<result<std::vector<delivery>>> broker::read(queue_name q, std::size_t max, duration lease)
{
    auto op = [this, q, max, lease](std::function<void(result<std::vector<delivery>>)> reply) {
        reply(impl_->take(q.str(), max, lease));
    };
    co_return co_await impl_->call<std::vector<delivery>>(std::move(op));
}

awaitable<result<void>> broker::ack(queue_name, std::vector<delivery_id> ids)
{
    if (ids.empty())
        co_return result<void>{};
    auto op = [this, ids = std::move(ids)](std::function<void(result<void>)> reply) {
        impl_->acknowledge(ids);
        reply(result<void>{});
    };
    co_return co_await impl_->call<void>(std::move(op));
}

awaitable<result<void>> broker::nack(queue_name, delivery_id id, duration delay)
{
    auto op = [this, id, delay](std::function<void(result<void>)> reply) {
        auto it = impl_->leases.find(id);
        if (it == impl_->leases.end())
            return reply(result<void>{}); // not ours any more: it comes back anyway
        auto l = std::move(it->second);
        impl_->leases.erase(it);
        impl_->give_back(std::move(l), delay, std::move(reply));
    };
    co_return co_await impl_->call<void>(std::move(op));
}

awaitable<result<void>> broker::extend_lease(queue_name, delivery_id id, duration lease)
{
    auto op = [this, id, lease](std::function<void(result<void>)> reply) {
        if (auto it = impl_->leases.find(id); it != impl_->leases.end())
            it->second.until = steady::now() + std::chrono::duration_cast<steady::duration>(lease);
        reply(result<void>{});
    };
    co_return co_await impl_->call<void>(std::move(op));
}

awaitable<result<void>> broker::wait(queue_name q, time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    auto& waiters = impl_->waiters_of(q.str());
    const auto seen = waiters.version(); // before looking: a delivery after this is not lost
    auto op = [this, q](std::function<void(result<std::size_t>)> reply) { reply(impl_->subscribe(q.str())); };
    auto ready = co_await impl_->call<std::size_t>(std::move(op));
    if (!ready)
        co_return ready.error();
    if (*ready > 0 || impl_->clock.now() >= deadline)
        co_return result<void>{};
    co_await (waiters.wait(time_point::max(), seen) || impl_->clock.wait_until(deadline));
    co_return result<void>{};
}

} // namespace tasker::rabbitmq
