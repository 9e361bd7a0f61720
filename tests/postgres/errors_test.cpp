// Errors from a real PostgreSQL server (TASKER_DATABASE_URL) keep their origin: the SQLSTATE
// travels in `tasker::error::origin` beside the core code the engine branches on.
#include <tasker/postgres/errors.hpp>
#include <tasker/postgres/migrations.hpp>
#include <tasker/testing/postgres.hpp>

#include "pq/pool.hpp"

#include "support/catch.hpp"

#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

namespace fs = std::filesystem;
using tasker::condition;
using tasker::errc;
using tasker::postgres::sqlstate;
using Catch::Matchers::Contains;

/// A directory holding one migration file, removed at the end.
class migration_dir {
public:
    migration_dir(const std::string& name, const std::string& sql)
    {
        std::random_device seed;
        path_ = fs::temp_directory_path() / ("tasker_errors_" + std::to_string(seed()) + std::to_string(seed()));
        fs::create_directories(path_);
        std::ofstream(path_ / name) << sql;
    }
    ~migration_dir()
    {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    migration_dir(const migration_dir&) = delete;
    migration_dir& operator=(const migration_dir&) = delete;

    std::string str() const { return path_.string(); }

private:
    fs::path path_;
};

} // namespace

TEST_CASE("a migration with a syntax error fails with SQLSTATE 42601, permanent, naming the file", "[postgres]")
{
    migration_dir dir("0001_typo.sql", "CREATE TABLE fine (x int);\nCREAT TABLE typo (x int);\n");
    auto db = tasker::testing::empty_database();

    auto applied = tasker::postgres::migrate(db.url(), dir.str());
    REQUIRE_FALSE(applied);
    const auto& e = applied.error();
    CHECK(e == errc::database_error);
    CHECK(sqlstate(e) == "42601");
    CHECK(e.origin == tasker::postgres::make_sqlstate_code("42601"));
    CHECK(e.origin.message() == "SQLSTATE 42601 (syntax_error)");
    CHECK_FALSE(tasker::is_transient(e));
    CHECK(e.origin == condition::permanent);
    CHECK_THAT(e.message, Contains("0001_typo.sql") && Contains("SQLSTATE 42601") && Contains("CREAT"));
}

TEST_CASE("a statement the server refuses through the connection pool carries its SQLSTATE", "[postgres]")
{
    auto db = tasker::testing::empty_database();
    tasker::pq::pool pool(db.url(), 1);

    auto made = pool.run_here<void>(
        [](pqxx::connection& c) -> tasker::result<void> {
            pqxx::work tx(c);
            tx.exec("CREATE TABLE once (id int PRIMARY KEY); INSERT INTO once VALUES (1)");
            tx.commit();
            return {};
        },
        "create");
    REQUIRE(made);

    auto twice = pool.run_here<void>(
        [](pqxx::connection& c) -> tasker::result<void> {
            pqxx::work tx(c);
            tx.exec("INSERT INTO once VALUES (1)");
            tx.commit();
            return {};
        },
        "insert the same key");
    REQUIRE_FALSE(twice);
    CHECK(twice.error() == errc::database_error);
    CHECK(sqlstate(twice.error()) == "23505");
    CHECK(twice.error().origin.message() == "SQLSTATE 23505 (unique_violation)");
    CHECK_THAT(twice.error().message, Contains("insert the same key") && Contains("once_pkey"));

    // The connection survived the refusal: the pool goes on using it.
    auto after = pool.run_here<int>(
        [](pqxx::connection& c) -> tasker::result<int> {
            return pqxx::nontransaction(c).exec("SELECT count(*) FROM once")[0][0].as<int>();
        },
        "count");
    REQUIRE(after);
    CHECK(*after == 1);
}

TEST_CASE("a connection the server terminates is backend_unavailable and transient", "[postgres]")
{
    auto db = tasker::testing::empty_database();
    tasker::pq::pool pool(db.url(), 1);

    auto cut = pool.run_here<void>(
        [](pqxx::connection& c) -> tasker::result<void> {
            pqxx::nontransaction(c).exec("SELECT pg_terminate_backend(pg_backend_pid())");
            return {};
        },
        "terminate myself");
    REQUIRE_FALSE(cut);
    CHECK(cut.error() == errc::backend_unavailable);
    CHECK(tasker::is_transient(cut.error()));
    // libpqxx 6 reports the cut as a lost connection, without the server's 57P01: no origin.
    CHECK_FALSE(cut.error().origin);

    // The next call connects again.
    auto again = pool.run_here<int>(
        [](pqxx::connection& c) -> tasker::result<int> {
            return pqxx::nontransaction(c).exec("SELECT 1")[0][0].as<int>();
        },
        "select");
    REQUIRE(again);
    CHECK(*again == 1);
}
