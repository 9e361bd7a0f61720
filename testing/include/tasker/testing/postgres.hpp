#pragma once
// Throw-away PostgreSQL databases for tests (link tasker::testing_postgres): each test gets a
// database of its own on the server named by TASKER_DATABASE_URL, dropped when it is done.
// Nothing here depends on a test framework; `postgres_fixture` suits Catch2's TEST_CASE_METHOD.
// A migrated one is a copy of a template database that holds the migrations already, so a
// test pays for a file copy on the server, not for running every migration again.

#include <string>

// CMake defines it through tasker::testing_postgres: the source tree's migrations/ in a build
// tree, <prefix>/share/tasker/migrations once installed.
#ifndef TASKER_TESTING_MIGRATIONS_DIR
#error "TASKER_TESTING_MIGRATIONS_DIR is not defined: link the CMake target tasker::testing_postgres"
#endif

namespace tasker::testing {

/// The URL of the server tests create their databases on: the environment variable
/// TASKER_DATABASE_URL, naming a maintenance database (e.g.
/// `postgresql://postgres@127.0.0.1:5432/postgres`) as a role allowed to create databases.
/// Throws `std::runtime_error`, saying how to set it, when it is unset or empty: a test that
/// needs PostgreSQL fails without one, it is never skipped.
std::string postgres_server_url();

/// The migrations of the tasker this kit came with: the ones `migrated_database()` applies.
inline std::string default_migrations_dir() { return TASKER_TESTING_MIGRATIONS_DIR; }

/// A database that exists for one test: dropped, with any connections still open to it, when
/// the object is destroyed or assigned over. Move-only; a moved-from object owns nothing.
class postgres_database {
public:
    ~postgres_database();
    postgres_database(postgres_database&& other) noexcept;
    postgres_database& operator=(postgres_database&& other) noexcept;
    postgres_database(const postgres_database&) = delete;
    postgres_database& operator=(const postgres_database&) = delete;

    /// The connection URL of this database: TASKER_DATABASE_URL with the database replaced.
    const std::string& url() const noexcept { return url_; }
    /// The database's name: `tasker_test_` and 16 random hex digits.
    const std::string& name() const noexcept { return name_; }

private:
    friend postgres_database empty_database();
    friend postgres_database migrated_database(const std::string& migrations_dir);

    postgres_database(std::string server_url, std::string name);
    void drop() noexcept;

    std::string server_url_;
    std::string name_;
    std::string url_;
};

/// A new, empty database (a copy of `template1`, as `CREATE DATABASE` makes it).
/// Throws: `std::runtime_error` without TASKER_DATABASE_URL; `tasker::exception` when the
/// server cannot be reached or refuses to create the database.
postgres_database empty_database();

/// A new database with every migration of `migrations_dir` applied: a copy of
/// `migrated_template(migrations_dir)`. Throws as `empty_database()` does, and
/// `tasker::exception` carrying the migration's error when the template cannot be built.
///
/// @par Example
/// @code
/// TEST_CASE("orders survive a restart", "[postgres]")
/// {
///     const auto db = tasker::testing::migrated_database();
///     tasker::postgres::store store({db.url(), 2, 1});
///     // ...
/// } // the database is dropped here
/// @endcode
postgres_database migrated_database(const std::string& migrations_dir = default_migrations_dir());

/// The name of the template database holding the migrations of `migrations_dir`, built on the
/// TASKER_DATABASE_URL server if it is missing, and otherwise left as it is.
///
/// It is named `tasker_template_` plus a hash of the migration files' names and contents, so
/// changing a migration makes a new template and an unchanged set reuses the one a previous
/// run left. Any number of test processes may ask at once: the first builds it under an
/// advisory lock on the maintenance database, the others wait for it. It is marked as a
/// template that accepts no connections, since PostgreSQL cannot copy a database while
/// anyone is connected to it. It stays on the server; to remove it:
/// `ALTER DATABASE name IS_TEMPLATE false; DROP DATABASE name;`.
std::string migrated_template(const std::string& migrations_dir = default_migrations_dir());

/// A test fixture holding a migrated database of its own (`migrated_database()`), for test
/// frameworks that build a fixture object per test case. With Catch2, each run of a test case
/// (one per SECTION path) gets a new database:
///
/// @code
/// TEST_CASE_METHOD(tasker::testing::postgres_fixture, "orders survive a restart", "[postgres]")
/// {
///     tasker::postgres::store store({db.url(), 2, 1});
///     // ...
/// }
/// @endcode
struct postgres_fixture {
    postgres_database db = migrated_database();
};

} // namespace tasker::testing
