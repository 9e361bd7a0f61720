#include "pq/pool.hpp"

#include "pq/redact.hpp"

namespace tasker::pq {

pool::pool(std::string url, std::size_t threads, std::string session)
    : url_(std::move(url)), session_(std::move(session)), threads_(threads)
{
}

pool::~pool()
{
    threads_.join();
}

std::unique_ptr<pqxx::connection> pool::acquire()
{
    {
        std::lock_guard lock(mutex_);
        while (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            if (c->is_open())
                return c;
        }
    }
    try {
        auto c = std::make_unique<pqxx::connection>(url_);
        if (!session_.empty())
            pqxx::nontransaction(*c).exec(session_);
        return c;
    } catch (const pqxx::broken_connection& e) {
        // The server's text names host and port; the URL, which may hold a password, is redacted.
        throw pqxx::broken_connection("cannot connect to " + redact(url_) + ": " + e.what());
    }
}

void pool::release(std::unique_ptr<pqxx::connection> c)
{
    if (!c || !c->is_open())
        return;
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
}

void pool::drop_idle()
{
    std::vector<std::unique_ptr<pqxx::connection>> dead;
    {
        std::lock_guard lock(mutex_);
        dead.swap(idle_);
    }
    // Closed outside the lock: closing a connection may wait on its socket.
}

} // namespace tasker::pq
