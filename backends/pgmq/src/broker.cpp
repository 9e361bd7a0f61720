#include <tasker/pgmq/broker.hpp>

#include "pq/listener.hpp"
#include "pq/pgmq_tables.hpp"
#include "pq/pool.hpp"

#include <tasker/clock.hpp>
#include <tasker/detail/waiter_list.hpp>
#include <tasker/model/json.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>

namespace tasker::pgmq {

// Every statement is a named lambda moved into `run`: g++ 12 destroys a temporary built
// inside a co_await's argument list twice.

using pq::from_epoch_seconds;
using pq::whole_seconds;

std::string_view to_string(wake_mode m) noexcept
{
    switch (m) {
    case wake_mode::hybrid: return "hybrid";
    case wake_mode::event_driven: return "event_driven";
    case wake_mode::polling: return "polling";
    }
    return "unknown";
}

std::optional<wake_mode> wake_mode_from_string(std::string_view s) noexcept
{
    for (auto m : {wake_mode::hybrid, wake_mode::event_driven, wake_mode::polling})
        if (to_string(m) == s)
            return m;
    return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, wake_mode m) { return os << to_string(m); }

std::string broker::channel(queue_name q) { return "tasker_" + q.str(); }

/// The broker's state: the statement pool, and a listener (a connection and thread of its
/// own) LISTENing on the channel of every queue someone waits on, which wakes those waiters.
struct broker::impl {
    broker_config config;
    pq::pool pool;
    real_clock clock;

    std::mutex mutex;
    std::map<std::string, std::unique_ptr<detail::waiter_list>> waiters; // by channel
    std::set<std::string> listening;                                     // channels LISTENed on
    detail::waiter_list subscribed;                                      // woken when `listening` grows
    std::set<std::string> ensured;                                       // queues known to exist

    // Last: it calls back into the members above until it is destroyed, first.
    std::unique_ptr<pq::listener> listener;

    explicit impl(broker_config c) : config(std::move(c)), pool(config.url, std::max<std::size_t>(config.threads, 1))
    {
        if (config.mode != wake_mode::polling)
            listener = std::make_unique<pq::listener>(
                config.url, pq::listener::callbacks{
                                .notified = [this](const std::string& ch, const std::string&) { wake(ch); },
                                .subscribed = [this](const std::vector<std::string>& chs) { mark_listening(chs); },
                                // A notification may have been missed: every waiter looks again.
                                .lost =
                                    [this] {
                                        {
                                            std::lock_guard lock(mutex);
                                            listening.clear();
                                        }
                                        wake_all();
                                    },
                            });
    }

    detail::waiter_list& waiters_of(const std::string& ch)
    {
        detail::waiter_list* out = nullptr;
        bool fresh = false;
        {
            std::lock_guard lock(mutex);
            auto& w = waiters[ch];
            fresh = !w;
            if (fresh)
                w = std::make_unique<detail::waiter_list>();
            out = w.get();
        }
        if (fresh && listener) // outside the lock: the listener's callbacks take it
            listener->listen(ch);
        return *out;
    }

    void wake(const std::string& ch)
    {
        std::lock_guard lock(mutex);
        if (auto it = waiters.find(ch); it != waiters.end())
            it->second->notify_all();
    }

    bool is_listening(const std::string& ch)
    {
        std::lock_guard lock(mutex);
        return listening.contains(ch);
    }

    void mark_listening(const std::vector<std::string>& channels)
    {
        {
            std::lock_guard lock(mutex);
            listening.insert(channels.begin(), channels.end());
        }
        subscribed.notify_all();
    }

    void wake_all()
    {
        std::lock_guard lock(mutex);
        for (auto& [ch, w] : waiters)
            w->notify_all();
    }

    template <class T, class F>
    awaitable<result<T>> run(F f, std::string_view doing)
    {
        return pool.run<T>(std::move(f), doing);
    }
};

broker::broker(broker_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

broker::~broker() = default;

const broker_config& broker::config() const noexcept { return impl_->config; }

awaitable<result<void>> broker::ensure_queue(queue_name q)
{
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->ensured.contains(q.str()))
            co_return result<void>{};
    }
    auto op = [name = q.str()](pqxx::connection& c) -> result<void> {
        pqxx::work tx(c);
        tx.exec_params("select pgmq.create($1)", name);
        tx.commit();
        return {};
    };
    auto r = co_await impl_->run<void>(std::move(op), "pgmq.create");
    if (r) {
        std::lock_guard lock(impl_->mutex);
        impl_->ensured.insert(q.str());
    }
    co_return r;
}

awaitable<result<void>> broker::send(queue_name q, message m, duration delay)
{
    std::vector<message> one;
    one.push_back(std::move(m));
    co_return co_await send_batch(q, std::move(one), delay);
}

awaitable<result<void>> broker::send_batch(queue_name q, std::vector<message> ms, duration delay)
{
    if (ms.empty())
        co_return result<void>{};
    json::array batch;
    batch.reserve(ms.size());
    for (const auto& m : ms)
        batch.push_back(to_json(m));
    auto op = [name = q.str(), ch = channel(q), body = json::serialize(batch),
               seconds = whole_seconds(delay, 0)](pqxx::connection& c) -> result<void> {
        // One statement, so one round trip and one implicit transaction: the NOTIFY is
        // delivered when the messages commit, never without them.
        pqxx::nontransaction tx(c);
        tx.exec_params("with sent as (select * from pgmq.send_batch($1, array(select jsonb_array_elements($2::jsonb)), "
                       "$3::integer)) select pg_notify($4, '') from (select count(*) from sent) n",
                       name, body, seconds, ch);
        return {};
    };
    co_return co_await impl_->run<void>(std::move(op), "pgmq.send_batch");
}

awaitable<result<std::vector<delivery>>> broker::read(queue_name q, std::size_t max, duration lease)
{
    auto op = [name = q.str(), qty = static_cast<int>(std::min<std::size_t>(max, 100'000)),
     vt = whole_seconds(lease, 1)](pqxx::connection& c) -> result<std::vector<delivery>> {
        std::vector<delivery> out;
        if (qty == 0)
            return out;
        pqxx::nontransaction tx(c); // one statement, its own transaction, one round trip
        const auto rows =
            pq::exec_prepared(tx, pq::pgmq_statement("read", name), pq::pgmq_read_sql(name, true), qty, vt);
        std::vector<delivery_id> foreign;
        out = pq::deliveries_from_rows(rows, foreign);
        if (!foreign.empty()) // archived, for an operator to look at (see the header)
            pq::exec_prepared(tx, pq::pgmq_statement("archive", name), pq::pgmq_archive_sql(name, true),
                              pq::array_literal(foreign));
        return out;
    };
    co_return co_await impl_->run<std::vector<delivery>>(std::move(op), "pgmq.read");
}

awaitable<result<void>> broker::ack(queue_name q, std::vector<delivery_id> ids)
{
    if (ids.empty())
        co_return result<void>{};
    auto op = [name = q.str(), array = pq::array_literal(ids)](pqxx::connection& c) -> result<void> {
        // pgmq.archive: the rows move from the queue table to its archive.
        pqxx::nontransaction tx(c);
        pq::exec_prepared(tx, pq::pgmq_statement("archive", name), pq::pgmq_archive_sql(name, true), array);
        return {};
    };
    co_return co_await impl_->run<void>(std::move(op), "pgmq.archive");
}

awaitable<result<void>> broker::nack(queue_name q, delivery_id id, duration delay)
{
    auto op = [name = q.str(), ch = channel(q), id, seconds = whole_seconds(delay, 0)](pqxx::connection& c) -> result<void> {
        pqxx::nontransaction tx(c);
        // Visible again at once: wake readers, in the same statement.
        tx.exec_params(std::string("select case when $3 = 0 then pg_notify($4, '') end "
                                   "from (select count(*) from pgmq.set_vt($1, $2::bigint, $3::integer)) n, "
                                   "(select ") +
                           pq::async_commit_setting + ") fast",
                       name, static_cast<long long>(id), seconds, ch);
        return {};
    };
    co_return co_await impl_->run<void>(std::move(op), "pgmq.set_vt");
}

awaitable<result<void>> broker::extend_lease(queue_name q, delivery_id id, duration lease)
{
    auto op = [name = q.str(), id, seconds = whole_seconds(lease, 1)](pqxx::connection& c) -> result<void> {
        pqxx::nontransaction tx(c);
        tx.exec_params(std::string("select ") + pq::async_commit_setting +
                           ", (select count(*) from pgmq.set_vt($1, $2::bigint, $3))",
                       name, static_cast<long long>(id), seconds);
        return {};
    };
    co_return co_await impl_->run<void>(std::move(op), "pgmq.set_vt");
}

awaitable<result<void>> broker::wait(queue_name q, time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    const auto ch = channel(q);
    auto& waiters = impl_->waiters_of(ch);
    // Subscribed first, then look: a NOTIFY after the look is never missed.
    while (impl_->config.mode != wake_mode::polling && !impl_->is_listening(ch)) {
        const auto subscribed_seen = impl_->subscribed.version();
        if (impl_->is_listening(ch))
            break;
        if (impl_->clock.now() >= deadline)
            co_return result<void>{};
        co_await (impl_->subscribed.wait(time_point::max(), subscribed_seen) || impl_->clock.wait_until(deadline));
    }
    const auto seen = waiters.version(); // before looking: a NOTIFY after this is not lost

    struct readiness {
        bool visible = false;
        std::optional<double> next_visible; // epoch seconds of the earliest hidden message
    };
    auto op = [name = q.str()](pqxx::connection& c) -> result<readiness> {
        pqxx::nontransaction tx(c);
        // The earliest message by the vt index, one probe: something is readable exactly when
        // it is. (`vt <= clock_timestamp()` as a filter cannot use the index: each look would
        // scan the queue's every row, dead ones included.)
        const auto rows = pq::exec_prepared(
            tx, pq::pgmq_statement("next", name),
            "select coalesce(min(vt) <= clock_timestamp(), false), extract(epoch from min(vt))::float8 from " +
                pq::pgmq_table(name, "q"));
        readiness r;
        r.visible = rows[0][0].as<bool>();
        if (!rows[0][1].is_null())
            r.next_visible = rows[0][1].as<double>();
        return r;
    };
    while (true) {
        auto look = op; // each look runs its own copy of the statement
        auto ready = co_await impl_->run<readiness>(std::move(look), "pgmq wait");
        if (!ready)
            co_return ready.error();
        if (ready->visible)
            co_return result<void>{};
        auto wake = deadline;
        if (ready->next_visible && impl_->config.mode != wake_mode::event_driven)
            wake = std::min(wake, from_epoch_seconds(*ready->next_visible));
        const auto now = impl_->clock.now();
        if (wake <= now)
            co_return result<void>{};
        if (impl_->config.mode != wake_mode::polling) {
            co_await (waiters.wait(time_point::max(), seen) || impl_->clock.wait_until(wake));
            co_return result<void>{};
        }
        // Polling: look again after the interval, or return at the wake time.
        const auto next_look = now + impl_->config.poll_interval;
        co_await impl_->clock.wait_until(std::min(wake, next_look));
        if (next_look >= wake)
            co_return result<void>{};
    }
    co_return result<void>{};
}

} // namespace tasker::pgmq
