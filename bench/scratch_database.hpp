#pragma once
// A throw-away database for one benchmark run on a real PostgreSQL: created, migrated and
// described (the server settings a result depends on) at start, dropped at the end.

#include <tasker/postgres/migrations.hpp>
#include <tasker/postgres/url.hpp>

#include <pqxx/pqxx>

#include <chrono>
#include <iostream>
#include <string>

namespace bench {

class scratch_database {
public:
    /// Creates and migrates a database on the server of `maintenance_url`, then prints the
    /// settings that matter to the figures. `synchronous_commit` applies to the new database.
    scratch_database(std::string maintenance_url, bool synchronous_commit) : maintenance_url_(std::move(maintenance_url))
    {
        name_ = "tasker_bench_" +
                std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
        {
            pqxx::connection c(maintenance_url_);
            pqxx::nontransaction tx(c);
            tx.exec("CREATE DATABASE " + name_);
            if (!synchronous_commit)
                tx.exec("ALTER DATABASE " + name_ + " SET synchronous_commit = off");
        }
        url_ = tasker::postgres::with_database(maintenance_url_, name_);
        tasker::postgres::migrate(url_, TASKER_MIGRATIONS_DIR).value();
        pqxx::connection c(url_);
        pqxx::nontransaction tx(c);
        std::cout << "server:";
        for (const char* setting : {"server_version", "synchronous_commit", "fsync", "shared_buffers", "wal_level"})
            std::cout << " " << setting << "=" << tx.exec1(std::string("show ") + setting)[0].c_str();
        std::cout << "\n";
    }

    ~scratch_database()
    {
        try {
            pqxx::connection c(maintenance_url_);
            pqxx::nontransaction(c).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        } catch (const std::exception& e) {
            std::cerr << "could not drop " << name_ << ": " << e.what() << "\n";
        }
    }

    scratch_database(const scratch_database&) = delete;
    scratch_database& operator=(const scratch_database&) = delete;

    const std::string& url() const noexcept { return url_; }

private:
    std::string maintenance_url_;
    std::string name_;
    std::string url_;
};

} // namespace bench
