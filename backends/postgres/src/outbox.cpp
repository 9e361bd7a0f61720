#include <tasker/postgres/outbox.hpp>

#include "pq/pool.hpp"

#include <tasker/model/json.hpp>

#include <pqxx/pqxx>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace tasker::postgres {

namespace {

constexpr const char* outbox_channel = "tasker_outbox";

} // namespace

struct outbox::impl {
    std::string url;
    std::unique_ptr<pqxx::connection> conn;
    bool notified = false;
    int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    struct receiver final : pqxx::notification_receiver {
        receiver(pqxx::connection_base& c, bool& flag) : pqxx::notification_receiver(c, outbox_channel), flag_(flag) {}
        void operator()(const std::string&, int) override { flag_ = true; }
        bool& flag_;
    };
    std::unique_ptr<receiver> listening;

    explicit impl(std::string u) : url(std::move(u)) {}
    ~impl() { ::close(wake_fd); }

    /// Runs `f(connection&)`, (re)connecting and LISTENing first; a failure drops the connection.
    template <class T, class F>
    result<T> with_connection(F&& f, std::string_view doing)
    {
        try {
            if (!conn) {
                conn = std::make_unique<pqxx::connection>(url);
                listening = std::make_unique<receiver>(*conn, notified);
                // LISTEN takes effect at the end of the next statement: make it now (the
                // session's plan settings), and count the reconnection as a notification (one
                // may have been missed meanwhile).
                pqxx::nontransaction(*conn).exec(std::string(pq::index_scan_session_settings));
                notified = true;
            }
            return f(*conn);
        } catch (const std::exception& e) {
            auto err = pq::translate(e, doing);
            if (err.code == errc::backend_unavailable) {
                listening.reset();
                conn.reset();
            }
            return err;
        }
    }
};

outbox::outbox(std::string url) : impl_(std::make_unique<impl>(std::move(url))) {}

outbox::~outbox() = default;

result<std::vector<outbox_entry>> outbox::claim(std::size_t max, duration claim)
{
    const auto claim_us = std::chrono::duration_cast<std::chrono::microseconds>(claim).count();
    return impl_->with_connection<std::vector<outbox_entry>>(
        [&](pqxx::connection& c) -> result<std::vector<outbox_entry>> {
            pqxx::nontransaction tx(c);
            // By key, not a join: planned once, on what may be an empty table, a join would be a
            // hash of the whole outbox against a scan of it.
            const auto rows = pq::exec_prepared(
                tx, "tasker_outbox_claim",
                "UPDATE tasker.outbox AS o SET claimed_until = clock_timestamp() + $2 * interval '1 microsecond' "
                "WHERE o.id = ANY(ARRAY(SELECT id FROM tasker.outbox "
                "      WHERE claimed_until IS NULL OR claimed_until < clock_timestamp() "
                "      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)) "
                "RETURNING o.id, o.queue, o.body::text, "
                "  greatest(0, (extract(epoch FROM o.visible_at - clock_timestamp()) * 1000000)::bigint)",
                static_cast<long long>(max), static_cast<long long>(claim_us));
            std::vector<outbox_entry> out;
            out.reserve(rows.size());
            for (const auto& row : rows) {
                auto q = queue_name::make(row[1].c_str());
                auto body = parse_json(row[2].c_str());
                auto m = body ? message_from_json(*body) : result<message>(body.error());
                if (!q || !m) // only a store writes here: a row like this is a bug, never published
                    return error{errc::database_error, "tasker.outbox row " + row[0].as<std::string>() +
                                                           " is not a tasker message"};
                out.push_back({row[0].as<std::int64_t>(), *q, std::move(*m),
                               std::chrono::microseconds(row[3].as<std::int64_t>())});
            }
            std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
            return out;
        },
        "claiming outbox messages");
}

result<void> outbox::remove(const std::vector<std::int64_t>& ids)
{
    if (ids.empty())
        return {};
    return impl_->with_connection<void>(
        [&](pqxx::connection& c) -> result<void> {
            pqxx::nontransaction tx(c);
            pq::exec_prepared(tx, "tasker_outbox_remove", "DELETE FROM tasker.outbox WHERE id = ANY($1::bigint[])",
                              pq::array_literal(ids));
            return {};
        },
        "deleting published outbox messages");
}

result<void> outbox::release(const std::vector<std::int64_t>& ids)
{
    if (ids.empty())
        return {};
    return impl_->with_connection<void>(
        [&](pqxx::connection& c) -> result<void> {
            pqxx::nontransaction tx(c);
            tx.exec_params("UPDATE tasker.outbox SET claimed_until = NULL WHERE id = ANY($1::bigint[])", pq::array_literal(ids));
            return {};
        },
        "releasing outbox messages");
}

result<void> outbox::wait(duration timeout)
{
    const auto ms = static_cast<int>(
        std::clamp<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count(), 0, 60'000));
    auto waited = impl_->with_connection<void>(
        [&](pqxx::connection& c) -> result<void> {
            c.get_notifs(); // what arrived since the last call
            if (!impl_->notified) {
                pollfd fds[2] = {{impl_->wake_fd, POLLIN, 0}, {c.sock(), POLLIN, 0}};
                ::poll(fds, 2, ms);
                c.get_notifs();
            }
            impl_->notified = false;
            return {};
        },
        "waiting for outbox messages");
    if (!waited) {
        // No connection to wait on: wait out the time anyway (a caller backing off must not spin).
        pollfd fd{impl_->wake_fd, POLLIN, 0};
        ::poll(&fd, 1, ms);
    }
    std::uint64_t drained = 0;
    [[maybe_unused]] auto n = ::read(impl_->wake_fd, &drained, sizeof drained);
    return waited;
}

void outbox::interrupt() noexcept
{
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
}

} // namespace tasker::postgres
