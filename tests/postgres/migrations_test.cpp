// The migration runner and the bundled pgmq schema, against a real PostgreSQL server
// (TASKER_DATABASE_URL); every test case works in a database of its own.
#include <tasker/postgres/migrations.hpp>
#include <tasker/testing/postgres.hpp>

#include "support/catch.hpp"
#include "support/sql.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using tasker::test::sql;
namespace fs = std::filesystem;
using tasker::errc;
using tasker::testing::empty_database;
using tasker::testing::migrated_database;
using strings = std::vector<std::string>;
using Catch::Matchers::Contains;

/// A directory of migration files for one test, removed at the end.
class temp_dir {
public:
    temp_dir()
    {
        std::random_device seed;
        path_ = fs::temp_directory_path() / ("tasker_migrations_" + std::to_string(seed()) + std::to_string(seed()));
        fs::create_directories(path_);
    }
    ~temp_dir()
    {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    void write(const std::string& name, const std::string& text) const { std::ofstream(path_ / name) << text; }
    std::string str() const { return path_.string(); }

private:
    fs::path path_;
};

/// The names of the project's migrations, in order: what a full migrate must apply.
strings bundled_migrations()
{
    strings names;
    for (const auto& entry : fs::directory_iterator(TASKER_MIGRATIONS_DIR))
        if (entry.path().extension() == ".sql")
            names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

bool exists(const std::string& url, const std::string& relation)
{
    return !sql(url, "SELECT to_regclass('" + relation + "') IS NULL")[0][0].as<bool>();
}

std::vector<long> ids(const pqxx::result& r)
{
    std::vector<long> out;
    for (const auto& row : r)
        out.push_back(row[0].as<long>());
    return out;
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The runner

TEST_CASE("migrate applies every bundled migration and records each", "[postgres]")
{
    auto db = empty_database();
    auto applied = tasker::postgres::migrate(db.url(), TASKER_MIGRATIONS_DIR);
    REQUIRE(applied);
    CHECK(*applied == bundled_migrations());
    CHECK(std::find(applied->begin(), applied->end(), "0001_pgmq") != applied->end());

    auto recorded = tasker::postgres::applied_migrations(db.url());
    REQUIRE(recorded);
    CHECK(*recorded == bundled_migrations());
    CHECK(sql(db.url(), "SELECT count(*) FROM schema_migrations WHERE applied_at <= now()")[0][0].as<int>() ==
          static_cast<int>(applied->size()));
    CHECK(exists(db.url(), "pgmq.meta"));
}

TEST_CASE("migrate applies files in the order of their numbers and ignores other files", "[postgres]")
{
    temp_dir dir;
    dir.write("0010_ten.sql", "INSERT INTO log (name) VALUES ('ten');");
    dir.write("0002_two.sql", "INSERT INTO log (name) VALUES ('two');");
    dir.write("0001_log.sql", "CREATE TABLE log (n serial PRIMARY KEY, name text);\n"
                              "INSERT INTO log (name) VALUES ('one');");
    dir.write("README.md", "not a migration");
    auto db = empty_database();

    auto applied = tasker::postgres::migrate(db.url(), dir.str());
    REQUIRE(applied);
    CHECK(*applied == strings{"0001_log", "0002_two", "0010_ten"});
    strings order;
    for (const auto& row : sql(db.url(), "SELECT name FROM log ORDER BY n"))
        order.push_back(row[0].as<std::string>());
    CHECK(order == strings{"one", "two", "ten"});
}

TEST_CASE("migrate a second time applies nothing, a new file only that file", "[postgres]")
{
    temp_dir dir;
    dir.write("0001_t.sql", "CREATE TABLE t (x int);");
    auto db = empty_database();
    REQUIRE(tasker::postgres::migrate(db.url(), dir.str()));

    auto again = tasker::postgres::migrate(db.url(), dir.str());
    REQUIRE(again);
    CHECK(again->empty());

    dir.write("0002_u.sql", "CREATE TABLE u (x int);");
    auto next = tasker::postgres::migrate(db.url(), dir.str());
    REQUIRE(next);
    CHECK(*next == strings{"0002_u"});
    CHECK(*tasker::postgres::applied_migrations(db.url()) == strings{"0001_t", "0002_u"});
}

TEST_CASE("concurrent runners apply each migration exactly once", "[postgres]")
{
    temp_dir dir;
    for (const auto& name : bundled_migrations())
        fs::copy_file(fs::path(TASKER_MIGRATIONS_DIR) / (name + ".sql"), fs::path(dir.str()) / (name + ".sql"));
    // Not idempotent on purpose: a second application fails or leaves a second row.
    dir.write("0901_runs.sql", "CREATE TABLE runs (version text);");
    dir.write("0902_a.sql", "INSERT INTO runs VALUES ('0902'); SELECT pg_sleep(0.05);");
    dir.write("0903_b.sql", "INSERT INTO runs VALUES ('0903'); SELECT pg_sleep(0.05);");
    auto all = bundled_migrations();
    all.insert(all.end(), {"0901_runs", "0902_a", "0903_b"});

    for (int round = 0; round < 3; ++round) {
        auto db = empty_database();
        constexpr int runners = 4;
        std::vector<tasker::result<strings>> results(runners);
        std::atomic<int> ready{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < runners; ++i)
            threads.emplace_back([&, i] {
                ++ready;
                while (ready.load() < runners)
                    std::this_thread::yield();
                results[i] = tasker::postgres::migrate(db.url(), dir.str());
            });
        for (auto& t : threads)
            t.join();

        strings applied;
        for (const auto& r : results) {
            REQUIRE(r);
            applied.insert(applied.end(), r->begin(), r->end());
        }
        std::sort(applied.begin(), applied.end());
        CHECK(applied == all); // each name once, over all runners
        CHECK(*tasker::postgres::applied_migrations(db.url()) == all);
        CHECK(sql(db.url(), "SELECT string_agg(version, ',' ORDER BY version) FROM runs")[0][0].as<std::string>() ==
              "0902,0903");
    }
}

TEST_CASE("a failing migration rolls back, is not recorded and is named in the error", "[postgres]")
{
    temp_dir dir;
    dir.write("0001_good.sql", "CREATE TABLE good (x int);");
    dir.write("0002_bad.sql", "CREATE TABLE partial (x int);\n"
                              "INSERT INTO partial VALUES (1);\n"
                              "SELECT * FROM no_such_table;\n");
    dir.write("0003_later.sql", "CREATE TABLE later (x int);");
    auto db = empty_database();

    auto applied = tasker::postgres::migrate(db.url(), dir.str());
    REQUIRE_FALSE(applied);
    CHECK(applied.error() == errc::database_error);
    CHECK_THAT(applied.error().message, Contains("0002_bad.sql") && Contains("no_such_table"));
    CHECK(*tasker::postgres::applied_migrations(db.url()) == strings{"0001_good"});
    CHECK(exists(db.url(), "good"));
    CHECK_FALSE(exists(db.url(), "partial")); // nothing of the failed file is left
    CHECK_FALSE(exists(db.url(), "later"));   // and nothing after it ran

    // Fixed, the same file applies, then the rest.
    dir.write("0002_bad.sql", "CREATE TABLE partial (x int);");
    auto fixed = tasker::postgres::migrate(db.url(), dir.str());
    REQUIRE(fixed);
    CHECK(*fixed == strings{"0002_bad", "0003_later"});
}

TEST_CASE("migrate rejects an unreadable directory and misnamed files before touching the database",
          "[postgres]")
{
    auto db = empty_database();
    SECTION("missing directory")
    {
        auto r = tasker::postgres::migrate(db.url(), "/nonexistent/tasker/migrations");
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_name);
        CHECK_THAT(r.error().message, Contains("/nonexistent/tasker/migrations"));
    }
    SECTION("a .sql file not named NNNN_name.sql")
    {
        temp_dir dir;
        dir.write("0001_ok.sql", "SELECT 1;");
        dir.write("2_short.sql", "SELECT 1;");
        auto r = tasker::postgres::migrate(db.url(), dir.str());
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_name);
        CHECK_THAT(r.error().message, Contains("2_short.sql"));
    }
    SECTION("two files with one number")
    {
        temp_dir dir;
        dir.write("0001_a.sql", "SELECT 1;");
        dir.write("0001_b.sql", "SELECT 1;");
        auto r = tasker::postgres::migrate(db.url(), dir.str());
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_name);
        CHECK_THAT(r.error().message, Contains("0001_a") && Contains("0001_b"));
    }
    CHECK_FALSE(exists(db.url(), "schema_migrations"));
}

TEST_CASE("a migration number recorded under another name is a conflict", "[postgres]")
{
    temp_dir dir;
    dir.write("0001_first.sql", "SELECT 1;");
    auto db = empty_database();
    REQUIRE(tasker::postgres::migrate(db.url(), dir.str()));
    fs::remove(fs::path(dir.str()) / "0001_first.sql");
    dir.write("0001_renamed.sql", "SELECT 1;");

    auto r = tasker::postgres::migrate(db.url(), dir.str());
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::database_error);
    CHECK_THAT(r.error().message, Contains("0001_first") && Contains("0001_renamed.sql"));
}

TEST_CASE("an unreachable server is backend_unavailable, named by host and port, never by password",
          "[postgres]")
{
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    for (const std::string url : {"postgresql://tasker:s3cret-pw@127.0.0.1:1/nowhere",
                                  "host=127.0.0.1 port=1 user=tasker password=s3cret-pw dbname=nowhere",
                                  "postgresql://tasker:s3cret-pw@127.0.0.1:1/nowhere?no_such_option=1"}) {
        CAPTURE(url);
        auto r = tasker::postgres::migrate(url, TASKER_MIGRATIONS_DIR);
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::backend_unavailable);
        CHECK_THAT(r.error().message, !Contains("s3cret-pw"));
        auto listed = tasker::postgres::applied_migrations(url);
        REQUIRE_FALSE(listed);
        CHECK(listed.error() == errc::backend_unavailable);
        CHECK_THAT(listed.error().message, !Contains("s3cret-pw"));
    }
    auto r = tasker::postgres::migrate("postgresql://tasker:s3cret-pw@127.0.0.1:1/nowhere", TASKER_MIGRATIONS_DIR);
    CHECK_THAT(r.error().message, Contains("host 127.0.0.1 port 1 database nowhere"));
}

TEST_CASE("applied_migrations of a database never migrated is empty", "[postgres]")
{
    auto db = empty_database();
    auto r = tasker::postgres::applied_migrations(db.url());
    REQUIRE(r);
    CHECK(r->empty());
}

TEST_CASE("an existing pgmq schema is kept as it is, and the bundled migration is still recorded", "[postgres]")
{
    auto db = empty_database();
    sql(db.url(), "CREATE SCHEMA pgmq; CREATE TABLE pgmq.marker (x int); INSERT INTO pgmq.marker VALUES (7);");

    auto applied = tasker::postgres::migrate(db.url(), TASKER_MIGRATIONS_DIR);
    REQUIRE(applied);
    CHECK(std::find(applied->begin(), applied->end(), "0001_pgmq") != applied->end());
    auto recorded = tasker::postgres::applied_migrations(db.url());
    REQUIRE(recorded);
    CHECK(std::find(recorded->begin(), recorded->end(), "0001_pgmq") != recorded->end());
    CHECK(sql(db.url(), "SELECT x FROM pgmq.marker")[0][0].as<int>() == 7);
    CHECK_FALSE(exists(db.url(), "pgmq.meta"));
    CHECK(sql(db.url(), "SELECT count(*) FROM pg_proc WHERE pronamespace = 'pgmq'::regnamespace")[0][0].as<int>() ==
          0);
}

// ---------------------------------------------------------------------------------------------
// The bundled pgmq schema, through the API of the pgmq spec

TEST_CASE("bundled pgmq: create makes the queue and archive tables, idempotently", "[postgres]")
{
    auto db = migrated_database();
    sql(db.url(), "SELECT pgmq.create('jobs'); SELECT pgmq.create('jobs'); SELECT pgmq.create_unlogged('fast');");

    auto queues =
        sql(db.url(), "SELECT queue_name, is_partitioned, is_unlogged FROM pgmq.list_queues() ORDER BY queue_name");
    REQUIRE(queues.size() == 2);
    CHECK(queues[0][0].as<std::string>() == "fast");
    CHECK(queues[0][2].as<bool>());
    CHECK(queues[1][0].as<std::string>() == "jobs");
    CHECK_FALSE(queues[1][1].as<bool>());
    CHECK_FALSE(queues[1][2].as<bool>());

    const auto columns = [&](const std::string& table) {
        std::string out;
        for (const auto& row : sql(db.url(), "SELECT column_name || ' ' || data_type FROM information_schema.columns "
                                             "WHERE table_schema = 'pgmq' AND table_name = '" +
                                                 table + "' ORDER BY ordinal_position"))
            out += row[0].as<std::string>() + ", ";
        return out;
    };
    CHECK(columns("q_jobs") == "msg_id bigint, read_ct integer, enqueued_at timestamp with time zone, "
                               "vt timestamp with time zone, message jsonb, headers jsonb, ");
    CHECK(columns("a_jobs") == "msg_id bigint, read_ct integer, enqueued_at timestamp with time zone, "
                               "archived_at timestamp with time zone, vt timestamp with time zone, message jsonb, "
                               "headers jsonb, ");
    CHECK(sql(db.url(), "SELECT count(*) FROM pg_indexes WHERE schemaname = 'pgmq' AND tablename = 'q_jobs' "
                        "AND indexdef LIKE '%(vt)'")[0][0]
              .as<int>() == 1);
    CHECK(sql(db.url(), "SELECT relpersistence FROM pg_class WHERE oid = 'pgmq.q_fast'::regclass")[0][0]
              .as<std::string>() == "u");

    // Names are case-folded into table names.
    sql(db.url(), "SELECT pgmq.create('MixedCase')");
    CHECK(exists(db.url(), "pgmq.q_mixedcase"));

    // Concurrent creates of one queue wait for each other (advisory lock) instead of failing.
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            try {
                sql(db.url(), "SELECT pgmq.create('raced'); SELECT pg_sleep(0.02);");
            } catch (const std::exception&) {
                ++failures;
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(failures == 0);
    CHECK(sql(db.url(), "SELECT count(*) FROM pgmq.meta WHERE queue_name = 'raced'")[0][0].as<int>() == 1);
}

TEST_CASE("bundled pgmq: read hides messages for vt seconds and counts deliveries", "[postgres]")
{
    auto db = migrated_database();
    pqxx::connection c(db.url());
    const auto run = [&](const std::string& query) {
        pqxx::work tx(c);
        auto r = tx.exec(query);
        tx.commit();
        return r;
    };
    run("SELECT pgmq.create('q')");
    std::vector<long> sent;
    for (int n = 1; n <= 3; ++n)
        sent.push_back(run("SELECT pgmq.send('q', '{\"n\": " + std::to_string(n) + "}')")[0][0].as<long>());

    auto first = run("SELECT msg_id, read_ct, message->>'n', vt > clock_timestamp() + interval '25 seconds' "
                     "FROM pgmq.read('q', 30, 2)");
    REQUIRE(first.size() == 2);
    CHECK(ids(first) == std::vector<long>{sent[0], sent[1]}); // msg_id order
    CHECK(first[0][1].as<int>() == 1);
    CHECK(first[0][2].as<std::string>() == "1");
    CHECK(first[0][3].as<bool>());

    CHECK(ids(run("SELECT msg_id FROM pgmq.read('q', 30, 10)")) == std::vector<long>{sent[2]});
    CHECK(run("SELECT * FROM pgmq.read('q', 30, 10)").empty()); // all invisible now

    // set_vt 0: visible at once, delivered again with read_ct + 1.
    CHECK(run("SELECT * FROM pgmq.set_vt('q', " + std::to_string(sent[0]) + ", 0)").size() == 1);
    auto again = run("SELECT msg_id, read_ct FROM pgmq.read('q', 30, 10)");
    REQUIRE(again.size() == 1);
    CHECK(again[0][0].as<long>() == sent[0]);
    CHECK(again[0][1].as<int>() == 2);
    CHECK(run("SELECT * FROM pgmq.set_vt('q', 999, 0)").empty());

    // vt 0: the message stays visible, every read delivers it again.
    run("SELECT pgmq.create('z'); SELECT pgmq.send('z', '{}');");
    CHECK(run("SELECT read_ct FROM pgmq.read('z', 0, 1)")[0][0].as<int>() == 1);
    CHECK(run("SELECT read_ct FROM pgmq.read('z', 0, 1)")[0][0].as<int>() == 2);

    // set_vt hides a visible message.
    run("SELECT pgmq.set_vt('z', 1, 60)");
    CHECK(run("SELECT * FROM pgmq.read('z', 30, 1)").empty());

    // conditional: only messages containing the given JSON.
    run("SELECT pgmq.create('c'); SELECT pgmq.send('c', '{\"kind\": \"a\"}'); "
        "SELECT pgmq.send('c', '{\"kind\": \"b\", \"x\": 1}')");
    auto only_b = run("SELECT message->>'kind' FROM pgmq.read('c', 30, 10, '{\"kind\": \"b\"}')");
    REQUIRE(only_b.size() == 1);
    CHECK(only_b[0][0].as<std::string>() == "b");
    CHECK(run("SELECT message->>'kind' FROM pgmq.read('c', 30, 10)")[0][0].as<std::string>() == "a");
}

TEST_CASE("bundled pgmq: send overloads and send_batch", "[postgres]")
{
    auto db = migrated_database();
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec("SELECT pgmq.create('q')");
    const auto one = [&](const std::string& call) { return tx.exec("SELECT * FROM " + call)[0][0].as<long>(); };

    const long plain = one("pgmq.send('q', '{\"a\": 1}')");
    const long with_headers = one("pgmq.send('q', '{\"a\": 2}'::jsonb, '{\"trace\": \"t1\"}'::jsonb)");
    const long delayed = one("pgmq.send('q', '{\"a\": 3}'::jsonb, 60)");
    const long at_time = one("pgmq.send('q', '{\"a\": 4}'::jsonb, '2100-01-01 00:00:00+00'::timestamptz)");
    const long both = one("pgmq.send('q', '{\"a\": 5}'::jsonb, '{\"h\": 5}'::jsonb, 60)");
    const long both_at = one("pgmq.send('q', '{\"a\": 6}'::jsonb, '{\"h\": 6}'::jsonb, '2100-01-01'::timestamptz)");
    CHECK(plain < with_headers);
    CHECK(with_headers < delayed);

    const auto field = [&](long id, const std::string& expr) {
        return tx.exec("SELECT " + expr + " FROM pgmq.q_q WHERE msg_id = " + std::to_string(id))[0][0];
    };
    CHECK(field(plain, "headers IS NULL AND vt <= clock_timestamp()").as<bool>());
    CHECK(field(with_headers, "headers->>'trace'").as<std::string>() == "t1");
    CHECK(field(delayed, "vt > clock_timestamp() + interval '55 seconds'").as<bool>());
    CHECK(field(at_time, "vt = '2100-01-01 00:00:00+00'").as<bool>());
    CHECK(field(both, "headers->>'h' = '5' AND vt > clock_timestamp() + interval '55 seconds'").as<bool>());
    CHECK(field(both_at, "headers->>'h' = '6' AND vt = '2100-01-01'").as<bool>());

    // Only the undelayed two are readable.
    CHECK(ids(tx.exec("SELECT msg_id FROM pgmq.read('q', 30, 10)")) == std::vector<long>{plain, with_headers});

    // Batches: one id per message, in order.
    auto batch =
        ids(tx.exec("SELECT * FROM pgmq.send_batch('q', ARRAY['{\"b\": 1}', '{\"b\": 2}', '{\"b\": 3}']::jsonb[])"));
    REQUIRE(batch.size() == 3);
    CHECK(std::is_sorted(batch.begin(), batch.end()));
    CHECK(field(batch[0], "message->>'b'").as<std::string>() == "1");
    CHECK(field(batch[2], "message->>'b'").as<std::string>() == "3");

    auto with_hdrs = ids(tx.exec("SELECT * FROM pgmq.send_batch('q', ARRAY['{\"c\": 1}', '{\"c\": 2}']::jsonb[], "
                                 "ARRAY['{\"h\": 1}', '{\"h\": 2}']::jsonb[])"));
    REQUIRE(with_hdrs.size() == 2);
    CHECK(field(with_hdrs[1], "(message->>'c') || (headers->>'h')").as<std::string>() == "22");

    auto later = ids(tx.exec("SELECT * FROM pgmq.send_batch('q', ARRAY['{}', '{}']::jsonb[], 60)"));
    CHECK(field(later[0], "vt > clock_timestamp() + interval '55 seconds'").as<bool>());
    auto at = ids(tx.exec("SELECT * FROM pgmq.send_batch('q', ARRAY['{}']::jsonb[], '2100-01-01'::timestamptz)"));
    CHECK(field(at[0], "vt = '2100-01-01'").as<bool>());
    auto hd =
        ids(tx.exec("SELECT * FROM pgmq.send_batch('q', ARRAY['{}']::jsonb[], ARRAY['{\"h\": 9}']::jsonb[], 60)"));
    CHECK(field(hd[0], "headers->>'h' = '9' AND vt > clock_timestamp()").as<bool>());
    auto hdt = ids(tx.exec("SELECT * FROM pgmq.send_batch('q', ARRAY['{}']::jsonb[], ARRAY['{\"h\": 8}']::jsonb[], "
                           "'2100-01-01'::timestamptz)"));
    CHECK(field(hdt[0], "headers->>'h' = '8' AND vt = '2100-01-01'").as<bool>());

    // 3 + 2 + 2 + 1 + 1 + 1 batch messages, none of the delayed ones visible.
    CHECK(ids(tx.exec("SELECT msg_id FROM pgmq.read('q', 30, 100)")) ==
          std::vector<long>{batch[0], batch[1], batch[2], with_hdrs[0], with_hdrs[1]});
}

TEST_CASE("bundled pgmq: a send rolled back with its transaction is never delivered", "[postgres]")
{
    auto db = migrated_database();
    sql(db.url(), "SELECT pgmq.create('q')");
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("SELECT pgmq.send('q', '{\"lost\": true}')");
        tx.abort();
    }
    sql(db.url(), "SELECT pgmq.send('q', '{\"kept\": true}')");
    auto r = sql(db.url(), "SELECT message::text FROM pgmq.read('q', 30, 10)");
    REQUIRE(r.size() == 1);
    CHECK(r[0][0].as<std::string>() == R"({"kept": true})");
}

TEST_CASE("bundled pgmq: archive, delete, pop, purge and drop", "[postgres]")
{
    auto db = migrated_database();
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec("SELECT pgmq.create('q')");
    auto sent = ids(tx.exec("SELECT * FROM pgmq.send_batch('q', ARRAY['{\"n\": 1}', '{\"n\": 2}', '{\"n\": 3}', "
                            "'{\"n\": 4}', '{\"n\": 5}', '{\"n\": 6}', '{\"n\": 7}']::jsonb[])"));
    REQUIRE(sent.size() == 7);
    const auto id = [&](int i) { return std::to_string(sent[i]); };

    CHECK(tx.exec("SELECT pgmq.archive('q', " + id(0) + "::bigint)")[0][0].as<bool>());
    CHECK_FALSE(tx.exec("SELECT pgmq.archive('q', " + id(0) + "::bigint)")[0][0].as<bool>());
    CHECK(ids(tx.exec("SELECT * FROM pgmq.archive('q', ARRAY[" + id(1) + ", " + id(2) + ", 999]::bigint[])")) ==
          std::vector<long>{sent[1], sent[2]});
    auto archived = tx.exec("SELECT msg_id, message->>'n', archived_at IS NOT NULL FROM pgmq.a_q ORDER BY msg_id");
    REQUIRE(archived.size() == 3);
    CHECK(archived[0][0].as<long>() == sent[0]);
    CHECK(archived[0][1].as<std::string>() == "1");
    CHECK(archived[0][2].as<bool>());

    CHECK(tx.exec("SELECT pgmq.delete('q', " + id(3) + "::bigint)")[0][0].as<bool>());
    CHECK_FALSE(tx.exec("SELECT pgmq.delete('q', " + id(3) + "::bigint)")[0][0].as<bool>());
    CHECK(ids(tx.exec("SELECT * FROM pgmq.delete('q', ARRAY[" + id(4) + ", 999]::bigint[])")) ==
          std::vector<long>{sent[4]});

    auto popped = tx.exec("SELECT msg_id, message->>'n' FROM pgmq.pop('q')");
    REQUIRE(popped.size() == 1);
    CHECK(popped[0][0].as<long>() == sent[5]);
    CHECK(tx.exec("SELECT count(*) FROM pgmq.q_q")[0][0].as<int>() == 1);

    CHECK(tx.exec("SELECT pgmq.purge_queue('q')")[0][0].as<long>() == 1);
    CHECK(tx.exec("SELECT count(*) FROM pgmq.q_q")[0][0].as<int>() == 0);
    CHECK(tx.exec("SELECT count(*) FROM pgmq.a_q")[0][0].as<int>() == 3); // purge keeps the archive

    CHECK(tx.exec("SELECT pgmq.drop_queue('q')")[0][0].as<bool>());
    CHECK_FALSE(tx.exec("SELECT pgmq.drop_queue('q')")[0][0].as<bool>());
    CHECK(tx.exec("SELECT to_regclass('pgmq.q_q') IS NULL AND to_regclass('pgmq.a_q') IS NULL")[0][0].as<bool>());
    CHECK(tx.exec("SELECT count(*) FROM pgmq.list_queues()")[0][0].as<int>() == 0);
}

TEST_CASE("bundled pgmq: metrics and metrics_all", "[postgres]")
{
    auto db = migrated_database();
    pqxx::connection c(db.url());
    const auto run = [&](const std::string& query) {
        pqxx::work tx(c);
        auto r = tx.exec(query);
        tx.commit();
        return r;
    };
    run("SELECT pgmq.create('busy'); SELECT pgmq.create('idle');");
    run("SELECT * FROM pgmq.send_batch('busy', ARRAY['{}', '{}', '{}']::jsonb[])");
    run("SELECT * FROM pgmq.read('busy', 30, 1)");

    const std::string columns = "queue_name, queue_length, queue_visible_length, total_messages, "
                                "newest_msg_age_sec, oldest_msg_age_sec, scrape_time IS NOT NULL";
    auto m = run("SELECT " + columns + " FROM pgmq.metrics('busy')");
    REQUIRE(m.size() == 1);
    CHECK(m[0][0].as<std::string>() == "busy");
    CHECK(m[0][1].as<long>() == 3);
    CHECK(m[0][2].as<long>() == 2); // one is being processed
    CHECK(m[0][3].as<long>() == 3);
    CHECK(m[0][4].as<int>() >= 0);
    CHECK(m[0][5].as<int>() >= m[0][4].as<int>());
    CHECK(m[0][6].as<bool>());

    run("SELECT pgmq.archive('busy', 1::bigint)");
    m = run("SELECT " + columns + " FROM pgmq.metrics('busy')");
    CHECK(m[0][1].as<long>() == 2);
    CHECK(m[0][3].as<long>() == 3); // total counts every message ever sent

    auto idle = run("SELECT " + columns + " FROM pgmq.metrics('idle')");
    CHECK(idle[0][1].as<long>() == 0);
    CHECK(idle[0][3].as<long>() == 0);
    CHECK(idle[0][4].is_null());

    auto all = run("SELECT queue_name, queue_length FROM pgmq.metrics_all() ORDER BY queue_name");
    REQUIRE(all.size() == 2);
    CHECK(all[0][0].as<std::string>() == "busy");
    CHECK(all[0][1].as<long>() == 2);
    CHECK(all[1][0].as<std::string>() == "idle");

    CHECK_THROWS_WITH(run("SELECT * FROM pgmq.metrics('missing')"), Contains("does not exist"));
}

TEST_CASE("bundled pgmq: concurrent readers never receive the same message (SKIP LOCKED)", "[postgres]")
{
    auto db = migrated_database();
    sql(db.url(), "SELECT pgmq.create('q'); "
                  "SELECT pgmq.send_batch('q', array_agg(jsonb_build_object('n', i))) FROM generate_series(1, 10) i");

    SECTION("two open transactions split the messages without waiting")
    {
        pqxx::connection c1(db.url());
        pqxx::connection c2(db.url());
        pqxx::work t1(c1);
        pqxx::work t2(c2);
        auto a = ids(t1.exec("SELECT msg_id FROM pgmq.read('q', 30, 3)"));
        auto b = ids(t2.exec("SELECT msg_id FROM pgmq.read('q', 30, 10)"));
        CHECK(a == std::vector<long>{1, 2, 3});
        CHECK(b == std::vector<long>{4, 5, 6, 7, 8, 9, 10});
        // The read belongs to the caller's transaction: rolled back, the messages are visible
        // again and were never counted as delivered.
        t1.abort();
        t2.commit();
        auto again = sql(db.url(), "SELECT msg_id, read_ct FROM pgmq.read('q', 30, 10)");
        REQUIRE(again.size() == 3);
        CHECK(ids(again) == std::vector<long>{1, 2, 3});
        CHECK(again[0][1].as<int>() == 1);
    }
    SECTION("many readers in a loop deliver each message once")
    {
        sql(db.url(), "SELECT pgmq.send_batch('q', array_agg(jsonb_build_object('n', i))) "
                      "FROM generate_series(11, 300) i");
        constexpr int readers = 4;
        std::vector<std::vector<long>> got(readers);
        std::vector<std::thread> threads;
        for (int i = 0; i < readers; ++i)
            threads.emplace_back([&, i] {
                pqxx::connection c(db.url());
                for (;;) {
                    pqxx::work tx(c);
                    auto r = ids(tx.exec("SELECT msg_id FROM pgmq.read('q', 60, 5)"));
                    tx.commit();
                    if (r.empty())
                        return;
                    got[i].insert(got[i].end(), r.begin(), r.end());
                }
            });
        for (auto& t : threads)
            t.join();
        std::vector<long> all;
        for (const auto& g : got)
            all.insert(all.end(), g.begin(), g.end());
        std::sort(all.begin(), all.end());
        CHECK(all.size() == 300);
        CHECK(std::adjacent_find(all.begin(), all.end()) == all.end()); // no duplicates
        CHECK(sql(db.url(), "SELECT max(read_ct) FROM pgmq.q_q")[0][0].as<int>() == 1);
    }
}

TEST_CASE("bundled pgmq: read_with_poll waits for messages, up to max_poll_seconds", "[postgres]")
{
    auto db = migrated_database();
    sql(db.url(), "SELECT pgmq.create('q')");

    SECTION("nothing comes: empty after about max_poll_seconds")
    {
        const auto start = std::chrono::steady_clock::now();
        CHECK(sql(db.url(), "SELECT * FROM pgmq.read_with_poll('q', 30, 1, 1, 50)").empty());
        CHECK(seconds_since(start) >= 0.9);
        CHECK(seconds_since(start) < 3.0);
    }
    SECTION("a message committed meanwhile is returned at once")
    {
        std::thread sender([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            sql(db.url(), "SELECT pgmq.send('q', '{\"late\": true}')");
        });
        const auto start = std::chrono::steady_clock::now();
        auto r = sql(db.url(), "SELECT message->>'late', read_ct FROM pgmq.read_with_poll('q', 30, 5, 5, 50)");
        const double waited = seconds_since(start);
        sender.join();
        REQUIRE(r.size() == 1);
        CHECK(r[0][0].as<std::string>() == "true");
        CHECK(r[0][1].as<int>() == 1);
        CHECK(waited >= 0.25);
        CHECK(waited < 4.0);
    }
    SECTION("a delayed message is returned once its delay passes")
    {
        sql(db.url(), "SELECT pgmq.send('q', '{}', 1)");
        CHECK(sql(db.url(), "SELECT * FROM pgmq.read('q', 30, 1)").empty());
        const auto start = std::chrono::steady_clock::now();
        CHECK(sql(db.url(), "SELECT * FROM pgmq.read_with_poll('q', 30, 1, 3, 50)").size() == 1);
        CHECK(seconds_since(start) < 2.5);
    }
}
