#pragma once
// Internal to tasker's PostgreSQL backends (never installed): libpqxx connections behind a
// backend-owned thread pool. A blocking libpqxx call runs on one of the pool's threads with
// a connection of its own; the awaiting coroutine resumes on its own executor.

#include "pq/translate.hpp"
// Not needed by the pool itself: what every user of a pool runs its statements with.
#include "pq/session_settings.hpp"
#include "pq/statements.hpp"

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
#include <utility>
#include <vector>

namespace tasker::pq {

/// A fixed number of threads, each using one connection at a time from a shared set.
/// Connections are opened on first use and dropped, all of them, when one breaks, so a
/// restarted server is picked up on the next call.
class pool {
public:
    /// `session` (SQL, may be empty) runs once on each new connection: settings for its
    /// whole life (e.g. `index_scan_session_settings`).
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

} // namespace tasker::pq
