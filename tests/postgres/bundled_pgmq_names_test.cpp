// The bundled pgmq schema refuses and lists queue names as the pgmq extension does (migration
// 0009): the same length limit and messages, list_queues() as pgmq.meta stands. Against a real
// PostgreSQL server (TASKER_DATABASE_URL); every test case works in a database of its own.
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/names.hpp>
#include <tasker/postgres/migrations.hpp>
#include <tasker/testing/postgres.hpp>

#include "support/catch.hpp"
#include "support/sql.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace {

using tasker::test::sql;
namespace fs = std::filesystem;
using tasker::testing::migrated_database;

/// What `SELECT pgmq.create($1)` raises: SQLSTATE and message; empty when it succeeds.
std::pair<std::string, std::string> create_error(const std::string& url, const std::string& name)
{
    pqxx::connection c(url);
    pqxx::work tx(c);
    try {
        tx.exec_params("SELECT pgmq.create($1)", name);
        tx.commit();
        return {};
    } catch (const pqxx::sql_error& e) {
        std::string message = e.what();
        if (const auto end = message.find('\n'); end != std::string::npos)
            message.resize(end);
        if (message.starts_with("ERROR:  "))
            message.erase(0, 8);
        return {e.sqlstate(), message};
    }
}

std::set<std::tuple<std::string, bool, bool>> listed(const std::string& url)
{
    std::set<std::tuple<std::string, bool, bool>> out;
    for (const auto& row : sql(url, "SELECT queue_name, is_partitioned, is_unlogged FROM pgmq.list_queues()"))
        out.emplace(row[0].as<std::string>(), row[1].as<bool>(), row[2].as<bool>());
    return out;
}

} // namespace

TEST_CASE("bundled pgmq: queue names over 47 characters are refused as the extension refuses them", "[postgres]")
{
    auto db = migrated_database();
    const std::string longest(tasker::max_queue_name_length, 'q');
    CHECK(create_error(db.url(), longest) == std::pair<std::string, std::string>{});
    // The extension raises with RAISE EXCEPTION's default SQLSTATE, and this message.
    CHECK(create_error(db.url(), longest + "q") ==
          std::pair<std::string, std::string>{"P0001", "queue name is too long, maximum length is 47 characters"});
    CHECK(create_error(db.url(), std::string(200, 'q')).second ==
          "queue name is too long, maximum length is 47 characters");
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        CHECK_THROWS_WITH(tx.exec_params("SELECT pgmq.validate_queue_name($1)", longest + "q"),
                          Catch::Contains("queue name is too long, maximum length is 47 characters"));
    }
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        CHECK_NOTHROW(tx.exec_params("SELECT pgmq.validate_queue_name($1)", longest));
    }
    // Every table, sequence and index of the longest queue exists under its own full name
    // (PostgreSQL would have cut a longer identifier at 63 bytes).
    CHECK(sql(db.url(), "SELECT count(*) FROM pg_class WHERE relnamespace = 'pgmq'::regnamespace AND relname LIKE '%" +
                            longest + "%'")[0][0]
              .as<int>() >= 4); // q_, a_, their indexes, q_'s sequence
    CHECK(listed(db.url()) == std::set<std::tuple<std::string, bool, bool>>{{longest, false, false}});

    // tasker's own names fit: the longest namespace's worker queue is the longest name pgmq takes.
    const auto worker = tasker::worker_queue(std::string(tasker::max_namespace_length, 'n')).value();
    CHECK(create_error(db.url(), worker.str()) == std::pair<std::string, std::string>{});
}

TEST_CASE("bundled pgmq: names with $, ;, -- or ' are refused with the extension's message", "[postgres]")
{
    auto db = migrated_database();
    for (const std::string name : {"bad;name", "a--b", "it's", "cost$"}) {
        CAPTURE(name);
        CHECK(create_error(db.url(), name) ==
              std::pair<std::string, std::string>{"P0001", "queue name contains invalid characters: $, ;, --, or '"});
    }
    // An empty name stays refused (the extension would make tables q_ and a_).
    CHECK(create_error(db.url(), "").second == "queue name must not be empty");
    CHECK(listed(db.url()).empty());
}

TEST_CASE("bundled pgmq: list_queues() returns pgmq.meta, names as create was given them", "[postgres]")
{
    auto db = migrated_database();
    sql(db.url(), "SELECT pgmq.create('jobs'); SELECT pgmq.create('Reports'); SELECT pgmq.create_unlogged('fast');"
                  "SELECT pgmq.create('jobs');");
    CHECK(listed(db.url()) == std::set<std::tuple<std::string, bool, bool>>{
                                  {"jobs", false, false}, {"Reports", false, false}, {"fast", false, true}});
    // The rows are pgmq.meta's, columns and all.
    CHECK(sql(db.url(), "SELECT count(*) FROM pgmq.list_queues() l JOIN pgmq.meta m USING (queue_name) "
                        "WHERE l.created_at = m.created_at AND l.created_at IS NOT NULL")[0][0]
              .as<int>() == 3);
    // Tables are case-folded, as the extension's are.
    CHECK(sql(db.url(), "SELECT to_regclass('pgmq.q_reports') IS NOT NULL")[0][0].as<bool>());
    sql(db.url(), "SELECT pgmq.send('Reports', '{\"n\": 1}')");
    CHECK(sql(db.url(), "SELECT count(*) FROM pgmq.q_reports")[0][0].as<int>() == 1);

    CHECK(sql(db.url(), "SELECT pgmq.drop_queue('Reports')")[0][0].as<bool>());
    CHECK(listed(db.url()) ==
          std::set<std::tuple<std::string, bool, bool>>{{"jobs", false, false}, {"fast", false, true}});
}

TEST_CASE("migration 0009 on a database migrated before it: its queues stay, new ones get the limit", "[postgres]")
{
    // The migrations up to 0008 first, in a directory of their own.
    std::random_device seed;
    const auto dir = fs::temp_directory_path() / ("tasker_before_0009_" + std::to_string(seed()));
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(TASKER_MIGRATIONS_DIR))
        if (entry.path().extension() == ".sql" && entry.path().filename().string() < "0009")
            fs::copy_file(entry.path(), dir / entry.path().filename());
    auto db = tasker::testing::empty_database();
    REQUIRE(tasker::postgres::migrate(db.url(), dir.string()));
    fs::remove_all(dir);
    const std::string old_limit(48, 'q');
    sql(db.url(), "SELECT pgmq.create('" + old_limit + "'); SELECT pgmq.send('" + old_limit + "', '{}')");

    auto applied = tasker::postgres::migrate(db.url(), TASKER_MIGRATIONS_DIR);
    REQUIRE(applied);
    CHECK(std::find(applied->begin(), applied->end(), "0009_pgmq_queue_names") != applied->end());
    CHECK(listed(db.url()) == std::set<std::tuple<std::string, bool, bool>>{{old_limit, false, false}});
    CHECK(sql(db.url(), "SELECT count(*) FROM pgmq.read('" + old_limit + "', 30, 10)")[0][0].as<int>() == 1);
    CHECK(create_error(db.url(), std::string(48, 'r')).second ==
          "queue name is too long, maximum length is 47 characters");
}
