#pragma once
// Internal to tasker's PostgreSQL backends (never installed): libpqxx connections behind a
// backend-owned thread pool. A blocking libpqxx call runs on one of the pool's threads with
// a connection of its own; the awaiting coroutine resumes on its own executor.

#include <tasker/asio.hpp>
#include <tasker/detail/call_on_backend_thread.hpp>
#include <tasker/error.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <pqxx/pqxx>

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tasker::postgres::pq {

/// Turns whatever libpqxx threw into a `tasker::error`: connection trouble is
/// `backend_unavailable` (transient), a serialization failure or deadlock `state_conflict`
/// (transient), anything else `database_error` with the SQLSTATE. `doing` names the operation.
error translate(const std::exception& e, std::string_view doing);

/// `url` with any password replaced by "***", for messages and logs.
std::string redact(const std::string& url);

/// Session settings for connections whose every statement finds its rows by key. Prepared
/// statements keep the plan they got first: made while the tables were young, a plan scanning
/// them whole (cheapest then) would stay as they grow, until autovacuum happens to invalidate
/// it. Measured: a hop 0.6 ms slower after a 1 000-task burst. These settings rule such plans
/// out (a table with no index for a query is still scanned: "off" only makes it the last resort).
/// No parallel plans either: statistics taken early in a burst (few distinct task ids) made a
/// task's history read look like half the table, and every read then started parallel
/// workers, milliseconds each: 4 000 reads of finished tasks took 20 s instead of 0.5 s.
inline constexpr std::string_view key_lookups = "SET enable_seqscan = off; SET enable_bitmapscan = off; "
                                                "SET enable_hashjoin = off; SET enable_mergejoin = off; "
                                                "SET max_parallel_workers_per_gather = 0";

/// `{a,b,...}`: an array literal of values whose text needs no quoting (integers, uuids), to
/// pass as a parameter of type bigint[] or uuid[].
template <class T>
std::string array_literal(const std::vector<T>& values)
{
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ',';
        if constexpr (std::is_integral_v<T>)
            out += std::to_string(values[i]);
        else
            out += values[i].to_string();
    }
    return out + "}";
}

/// Runs `sql` in `tx` as the prepared statement `name`, preparing it on the transaction's
/// connection first if needed (libpqxx keeps one definition per name per connection: after
/// the first time this is a lookup).
template <class... Args>
pqxx::result exec_prepared(pqxx::transaction_base& tx, const std::string& name, const std::string& sql,
                           Args&&... args)
{
    tx.conn().prepare(name, sql);
    return tx.exec_prepared(name, std::forward<Args>(args)...);
}

/// `EXECUTE "<name>"`, for a simple-protocol string that runs the prepared statement `name`
/// (`sql`) with literal arguments, in the same round trip as other statements (a BEGIN, a
/// COMMIT). The statement is registered on `tx`'s connection first if it is not yet: the server
/// must know it before the string that names it arrives.
inline std::string execute_prepared_sql(pqxx::transaction_base& tx, const std::string& name, const std::string& sql)
{
    auto& c = tx.conn();
    c.prepare(name, sql);
    c.prepare_now(name);
    return "EXECUTE " + c.quote_name(name);
}

/// A fixed number of threads, each using one connection at a time from a shared set.
/// Connections are opened on first use and dropped, all of them, when one breaks, so a
/// restarted server is picked up on the next call.
class pool {
public:
    /// `session` (SQL, may be empty) runs once on each new connection: settings for its
    /// whole life.
    pool(std::string url, std::size_t threads, std::string session = {});
    ~pool();
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    const std::string& url() const noexcept { return url_; }

    /// Runs `f(pqxx::connection&)` -> `result<T>` on a pool thread. Completes on the awaiting
    /// coroutine's executor with f's result, or with the translated error if f threw (the
    /// connection is then dropped if it broke). `f` is moved into the operation and lives
    /// until it completes. Not cancellable: a statement once sent runs to its end.
    template <class T, class F>
    awaitable<result<T>> run(F f, std::string_view doing)
    {
        auto job = [this, f = std::move(f), doing](const tasker::detail::backend_reply<T>& reply) mutable {
            reply(call<T>(f, doing));
        };
        auto to_pool = [this](auto posted) { asio::post(threads_, std::move(posted)); };
        return tasker::detail::call_on_backend_thread<T>(to_pool, std::move(job));
    }

    /// Runs `f(pqxx::connection&)` on the calling thread (for setup code and tools).
    template <class T, class F>
    result<T> run_here(F&& f, std::string_view doing)
    {
        return call<T>(f, doing);
    }

private:
    template <class T, class F>
    result<T> call(F& f, std::string_view doing)
    {
        std::unique_ptr<pqxx::connection> c;
        try {
            c = acquire();
            result<T> r = f(*c);
            release(std::move(c));
            return r;
        } catch (const std::exception& e) {
            if (c && c->is_open())
                release(std::move(c)); // the statement failed, the connection did not
            else
                drop_idle();
            return translate(e, doing);
        }
    }

    std::unique_ptr<pqxx::connection> acquire();
    void release(std::unique_ptr<pqxx::connection> c);
    /// A connection broke or could not be made: the server restarted or went away, so the
    /// idle connections are dead too, and each would fail one more operation if kept.
    void drop_idle();

    std::string url_;
    std::string session_;
    asio::thread_pool threads_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

} // namespace tasker::postgres::pq
