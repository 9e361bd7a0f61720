// The testing kit's PostgreSQL databases (tasker/testing/postgres.hpp): each test its own
// database, copied from a template migrated once, dropped afterwards; and a clear failure
// without a server.
#include <tasker/testing/postgres.hpp>

#include <tasker/postgres/migrations.hpp>

#include "support/catch.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace tasker::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using strings = std::vector<std::string>;

/// Runs `query` with `params` on the maintenance database, outside a transaction block.
template <class... Params>
pqxx::result on_server(const std::string& query, const Params&... params)
{
    pqxx::connection c(postgres_server_url());
    pqxx::nontransaction tx(c);
    return tx.exec_params(query, params...);
}

bool database_exists(const std::string& name)
{
    return on_server("SELECT count(*) FROM pg_database WHERE datname = $1", name)[0][0].as<int>() == 1;
}

/// One value of one row: a query returning more or less fails the test.
std::string one(const std::string& url, const std::string& query)
{
    pqxx::connection c(url);
    pqxx::read_transaction tx(c);
    const auto r = tx.exec(query);
    REQUIRE(r.size() == 1);
    return r[0][0].c_str();
}

strings bundled_migrations()
{
    strings names;
    for (const auto& entry : fs::directory_iterator(default_migrations_dir()))
        if (entry.path().extension() == ".sql")
            names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

/// When each migration was recorded, as the database says: equal in two databases only if
/// both are copies of one migrated database.
std::string migration_times(const std::string& url)
{
    return one(url, "SELECT string_agg(version || '@' || applied_at::text, ',' ORDER BY version) "
                    "FROM schema_migrations");
}

/// Sets or unsets an environment variable for one scope, then puts the old value back.
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name)
    {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~scoped_env()
    {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

/// A directory of migration files unique to this run (so a template nobody has built yet),
/// removed at the end together with the template made from it.
class fresh_migrations {
public:
    fresh_migrations()
    {
        std::random_device seed;
        token_ = std::to_string(seed()) + std::to_string(seed());
        path_ = fs::temp_directory_path() / ("tasker_fixture_migrations_" + token_);
        fs::create_directories(path_);
    }
    ~fresh_migrations()
    {
        try {
            if (template_) {
                on_server("ALTER DATABASE " + *template_ + " IS_TEMPLATE false");
                on_server("DROP DATABASE " + *template_ + " WITH (FORCE)");
            }
        } catch (...) { // a leftover template must not turn the test's end into a crash
        }
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    fresh_migrations(const fresh_migrations&) = delete;
    fresh_migrations& operator=(const fresh_migrations&) = delete;

    void write(const std::string& name, const std::string& text) const { std::ofstream(path_ / name) << text; }
    /// Text no other run's migrations contain.
    const std::string& token() const { return token_; }
    std::string str() const { return path_.string(); }
    /// Drops this template at the end (it stays on the server otherwise, as a real one should).
    void remove_template_at_end(std::string name) { template_ = std::move(name); }

private:
    std::string token_;
    fs::path path_;
    std::optional<std::string> template_;
};

} // namespace

TEST_CASE("testing postgres: two fixtures get different databases, each with the tasker schema", "[postgres]")
{
    const postgres_fixture a;
    const postgres_fixture b;
    CHECK(a.db.name() != b.db.name());
    CHECK(a.db.url() != b.db.url());
    CHECK_THAT(a.db.url(), Contains(a.db.name()));
    for (const auto* db : {&a.db, &b.db}) {
        INFO(db->name());
        CHECK(database_exists(db->name()));
        CHECK(one(db->url(), "SELECT current_database()") == db->name());
        CHECK(*tasker::postgres::applied_migrations(db->url()) == bundled_migrations());
        CHECK(one(db->url(), "SELECT count(*) FROM tasker.tasks") == "0");
    }

    // Apart: what one test writes, another does not see.
    {
        pqxx::connection c(a.db.url());
        pqxx::work tx(c);
        tx.exec("CREATE TABLE only_in_a (x int)");
        tx.commit();
    }
    CHECK(one(a.db.url(), "SELECT to_regclass('only_in_a') IS NOT NULL") == "t");
    CHECK(one(b.db.url(), "SELECT to_regclass('only_in_a') IS NOT NULL") == "f");
}

TEST_CASE("testing postgres: a database is dropped with its owner, even with connections open", "[postgres]")
{
    std::string name;
    {
        auto db = migrated_database();
        name = db.name();
        REQUIRE(database_exists(name));
        pqxx::connection left_open(db.url()); // a test that forgot to close: WITH (FORCE) ends it
        {
            auto moved = std::move(db);
            CHECK(db.name().empty());
            CHECK(database_exists(name)); // the moved-from object dropped nothing
        }
        CHECK_FALSE(database_exists(name));
    }
    CHECK_FALSE(database_exists(name));

    auto empty = empty_database();
    const auto empty_name = empty.name();
    CHECK(one(empty.url(), "SELECT to_regclass('schema_migrations') IS NULL") == "t");
    auto other = empty_database();
    empty = std::move(other); // assigned over: its own database goes
    CHECK_FALSE(database_exists(empty_name));
    CHECK(database_exists(empty.name()));
}

TEST_CASE("testing postgres: the template is migrated once and then only copied", "[postgres]")
{
    const auto template_name = migrated_template();
    CHECK(template_name.starts_with("tasker_template_"));
    const auto template_row = [&] {
        const auto r = on_server("SELECT oid, datistemplate, datallowconn FROM pg_database WHERE datname = $1",
                                 template_name);
        REQUIRE(r.size() == 1);
        return std::string(r[0][0].c_str()) + " " + r[0][1].c_str() + " " + r[0][2].c_str();
    };
    const auto before = template_row();
    CHECK_THAT(before, EndsWith(" t f")); // a template nobody may connect to

    const auto first = migrated_database();
    const auto second = migrated_database();
    CHECK(migrated_template() == template_name);
    CHECK(template_row() == before); // the same database, not built again
    // Migrations recorded at one instant in both: copied, not run for each.
    CHECK(migration_times(first.url()) == migration_times(second.url()));
    CHECK(*tasker::postgres::applied_migrations(first.url()) == bundled_migrations());
}

TEST_CASE("testing postgres: processes starting together build a new template once", "[postgres]")
{
    fresh_migrations dir;
    dir.write("0001_marker.sql", "CREATE TABLE marker (token text); INSERT INTO marker VALUES ('" + dir.token() +
                                     "'); SELECT pg_sleep(0.2);");
    // Threads stand in for processes: each misses the process's cache and goes to the server.
    constexpr int racers = 4;
    std::vector<std::optional<postgres_database>> dbs(racers);
    std::vector<std::string> errors(racers);
    std::latch start(racers);
    std::vector<std::thread> threads;
    for (int i = 0; i < racers; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                dbs[i].emplace(migrated_database(dir.str()));
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
        });
    for (auto& t : threads)
        t.join();
    const auto template_name = migrated_template(dir.str());
    dir.remove_template_at_end(template_name);
    CHECK(template_name != migrated_template()); // other migrations, another template

    for (int i = 0; i < racers; ++i) {
        INFO("racer " << i << ": " << errors[i]);
        REQUIRE(dbs[i]);
        CHECK(one(dbs[i]->url(), "SELECT token FROM marker") == dir.token());
        CHECK(migration_times(dbs[i]->url()) == migration_times(dbs[0]->url())); // one build
    }
}

TEST_CASE("testing postgres: a failing migration fails the test, naming the file", "[postgres]")
{
    fresh_migrations dir;
    dir.write("0001_broken.sql", "CREATE TABLE t_" + dir.token() + " (x int); SELECT * FROM no_such_table;");
    std::string message;
    try {
        migrated_database(dir.str());
        FAIL("migrated_database succeeded on a broken migration");
    } catch (const tasker::exception& e) {
        CHECK(e.error() == tasker::errc::database_error);
        message = e.error().message;
    }
    CHECK_THAT(message, Contains("0001_broken.sql") && Contains("no_such_table"));
    // The message names the template; nothing half-built is left under that name.
    std::smatch template_name;
    REQUIRE(std::regex_search(message, template_name, std::regex("tasker_template_[0-9a-f]{16}")));
    CHECK_FALSE(database_exists(template_name.str()));
}

TEST_CASE("testing postgres: without TASKER_DATABASE_URL a test fails, saying how to set it", "[postgres]")
{
    for (const char* value : {static_cast<const char*>(nullptr), ""}) {
        const scoped_env unset("TASKER_DATABASE_URL", value);
        CHECK_THROWS_WITH(postgres_server_url(),
                          Contains("TASKER_DATABASE_URL is not set") && Contains("postgresql://"));
        CHECK_THROWS_WITH(empty_database(), Contains("TASKER_DATABASE_URL is not set"));
        CHECK_THROWS_WITH(migrated_database(), Contains("TASKER_DATABASE_URL is not set"));
        CHECK_THROWS_WITH(postgres_fixture(), Contains("TASKER_DATABASE_URL is not set"));
    }
}

TEST_CASE_METHOD(postgres_fixture, "testing postgres: postgres_fixture gives each section run a database",
                 "[postgres]")
{
    static std::string first_run;
    CHECK(*tasker::postgres::applied_migrations(db.url()) == bundled_migrations());
    SECTION("the first run writes")
    {
        first_run = db.name();
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("CREATE TABLE written (x int)");
        tx.commit();
    }
    SECTION("the second run sees none of it")
    {
        CHECK(db.name() != first_run);
        CHECK_FALSE(database_exists(first_run));
        CHECK(one(db.url(), "SELECT to_regclass('written') IS NULL") == "t");
    }
}
