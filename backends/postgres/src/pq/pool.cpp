#include "pq/pool.hpp"

#include <regex>

namespace tasker::postgres::pq {

std::string redact(const std::string& url)
{
    // postgresql://user:secret@host -> postgresql://user:***@host; password=secret -> password=***
    static const std::regex uri_password(R"(^([a-z]+://[^:/@]*):[^@]*@)");
    static const std::regex keyword_password(R"(password\s*=\s*\S+)");
    auto out = std::regex_replace(url, uri_password, "$1:***@");
    return std::regex_replace(out, keyword_password, "password=***");
}

error translate(const std::exception& e, std::string_view doing)
{
    const std::string where(doing);
    if (dynamic_cast<const pqxx::broken_connection*>(&e))
        return error{errc::backend_unavailable, where + ": lost the connection to PostgreSQL: " + e.what()};
    // libpqxx 6 throws these without a SQLSTATE. A commit of unknown outcome is a lost connection
    // too: the engine's operations are compare-and-sets, safe to run again (creating a task
    // without an identity key is not, hence "committed or not" in the message).
    if (dynamic_cast<const pqxx::in_doubt_error*>(&e))
        return error{errc::backend_unavailable,
                     where + ": lost the connection to PostgreSQL while committing (committed or not): " + e.what()};
    if (dynamic_cast<const pqxx::serialization_failure*>(&e) || dynamic_cast<const pqxx::deadlock_detected*>(&e))
        return error{errc::state_conflict, where + ": concurrent update, retry: " + e.what()};
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
        const std::string state = sql->sqlstate();
        if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03")
            return error{errc::backend_unavailable, where + ": PostgreSQL is unavailable (SQLSTATE " + state + "): " +
                                                        e.what()};
        if (state == "40001" || state == "40P01")
            return error{errc::state_conflict, where + ": concurrent update (SQLSTATE " + state + "), retry"};
        return error{errc::database_error, where + ": SQLSTATE " + state + ": " + e.what()};
    }
    return error{errc::database_error, where + ": " + e.what()};
}

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

} // namespace tasker::postgres::pq
