#pragma once
// A throw-away PostgreSQL database per test, on the server named by TASKER_DATABASE_URL (a
// maintenance database URL, e.g. postgresql://postgres@127.0.0.1:55432/postgres). Tests that
// need PostgreSQL fail without that variable: they are never skipped. Link PkgConfig::PQXX.

#include <pqxx/pqxx>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

namespace tasker::test {

/// TASKER_DATABASE_URL; throws (failing the test) when it is unset or empty.
inline std::string maintenance_url()
{
    const char* url = std::getenv("TASKER_DATABASE_URL");
    if (!url || !*url)
        throw std::runtime_error("TASKER_DATABASE_URL is not set: the [postgres] tests need a PostgreSQL server "
                                 "(script/test starts one; or export a maintenance database URL such as "
                                 "postgresql://postgres@127.0.0.1:5432/postgres)");
    return url;
}

/// `url` naming database `dbname` instead: a URI's path is replaced; a `key=value` string gets
/// a trailing `dbname=`, which libpq lets override an earlier one.
inline std::string with_database(const std::string& url, const std::string& dbname)
{
    const auto scheme = url.find("://");
    if (scheme == std::string::npos)
        return url + " dbname=" + dbname;
    const auto query = url.find('?', scheme + 3);
    const auto path = url.find('/', scheme + 3);
    const auto path_end = query == std::string::npos ? url.size() : query;
    const auto path_begin = path != std::string::npos && path < path_end ? path : path_end;
    return url.substr(0, path_begin) + "/" + dbname + url.substr(path_end);
}

/// A database created for one test and dropped (with any connections left to it) when the
/// object goes. Move-only.
class postgres_database {
public:
    explicit postgres_database(std::string maintenance_url) : maintenance_url_(std::move(maintenance_url))
    {
        std::random_device seed;
        std::mt19937_64 bits(seed());
        static constexpr char hex[] = "0123456789abcdef";
        name_ = "tasker_test_";
        for (auto v = bits(); name_.size() < 28; v >>= 4)
            name_ += hex[v & 0xf];
        pqxx::connection c(maintenance_url_);
        pqxx::nontransaction tx(c); // CREATE DATABASE cannot run inside a transaction block
        tx.exec("CREATE DATABASE " + name_);
        url_ = with_database(maintenance_url_, name_);
    }

    ~postgres_database()
    {
        if (name_.empty())
            return;
        try {
            pqxx::connection c(maintenance_url_);
            pqxx::nontransaction tx(c);
            tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        } catch (...) { // a leftover test database must not turn into a crash
        }
    }

    postgres_database(postgres_database&& other) noexcept
        : maintenance_url_(std::move(other.maintenance_url_)), name_(std::exchange(other.name_, {})),
          url_(std::move(other.url_))
    {
    }
    postgres_database& operator=(postgres_database&&) = delete;
    postgres_database(const postgres_database&) = delete;
    postgres_database& operator=(const postgres_database&) = delete;

    /// Connection URL of this database.
    const std::string& url() const noexcept { return url_; }
    const std::string& name() const noexcept { return name_; }

private:
    std::string maintenance_url_;
    std::string name_;
    std::string url_;
};

/// A new, empty database on the TASKER_DATABASE_URL server.
inline postgres_database fresh_database() { return postgres_database(maintenance_url()); }

} // namespace tasker::test
