// Retention on PostgreSQL beyond the conformance suite: archiving moves a task's rows, all of
// them, into the archive tables in the statement that deletes them; messages PGMQ archived go
// by the same age.
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/store.hpp>

#include <tasker/testing/postgres.hpp>

#include "support/await_value.hpp"
#include "support/catch.hpp"
#include "support/templates.hpp"

#include <pqxx/pqxx>

#include <array>
#include <string>

using namespace tasker;
using namespace std::chrono_literals;

namespace {

const change_origin by_operator{"operator:test", "a test", nullptr};

/// Rows of `table` (tasker.<table>) that belong to task `id`.
int rows_of(pqxx::nontransaction& sql, const std::string& table, const task_id& id)
{
    const char* key = table.ends_with("tasks") ? "id" : "task_id";
    return sql.exec_params1("SELECT count(*) FROM tasker." + table + " WHERE " + key + " = $1::uuid", id.to_string())[0]
        .as<int>();
}

} // namespace

TEST_CASE("postgres store: archiving moves a finished task's rows to the archive tables", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    postgres::store tasks({db.url(), 1, 5});
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto create = [&] { return test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id; };

    // One task in error whose investigation is closed (with a failed attempt on record), one
    // cancelled, one running.
    const auto failed = create();
    std::vector<claim_request> claim{{{failed, 0}, 1, 30s}};
    REQUIRE(test::await_value(tasks.claim_steps(std::move(claim)))[0].status == claim_status::claimed);
    step_outcome o;
    o.ref = {failed, 0};
    o.attempt = 1;
    o.success = false;
    o.failure = step_failure{error_kind::permanent, "the card was declined", std::nullopt, 1};
    o.started_at = o.finished_at = std::chrono::system_clock::now();
    std::vector<step_outcome> outcomes{o};
    REQUIRE(test::await_value(tasks.record_results(std::move(outcomes)))[0] == record_status::recorded);
    test::await_value(tasks.orchestrate({message{message_kind::step_result, 0, 1, failed}}));
    REQUIRE(test::await_value(tasks.get_task(failed)).state == task_state::error);
    const auto entry = test::await_value(tasks.dead_letter_of(failed));
    test::await_value(tasks.update_dead_letter(entry.id, {dead_letter_status::permanently_failed, "", "operator:test"}));
    const auto cancelled = create();
    REQUIRE(test::await_value(tasks.apply_action(cancelled, action::cancel{}, by_operator)) == task_state::cancelled);
    const auto running = create();

    pqxx::connection c(db.url());
    pqxx::nontransaction sql(c);
    const std::array<std::string, 5> tables{"tasks", "steps", "task_transitions", "step_transitions", "step_failures"};
    std::array<int, 5> before{};
    for (std::size_t k = 0; k < tables.size(); ++k)
        before[k] = rows_of(sql, tables[k], failed);
    CHECK(before[4] == 1); // the failed attempt

    const auto report = test::await_value(tasks.purge_finished(
        {1h, retention_mode::archive, 10, std::chrono::system_clock::now() + 2h}));
    CHECK(report.removed == 2);
    CHECK_FALSE(report.more);

    for (std::size_t k = 0; k < tables.size(); ++k) {
        INFO(tables[k]);
        CHECK(rows_of(sql, tables[k], failed) == 0);
        CHECK(rows_of(sql, "archived_" + tables[k], failed) == before[k]);
    }
    CHECK(rows_of(sql, "archived_tasks", cancelled) == 1);
    const auto archived = sql.exec_params1(
        "SELECT state::text, archived_at IS NOT NULL, context::text FROM tasker.archived_tasks WHERE id = $1::uuid",
        failed.to_string());
    CHECK(archived[0].as<std::string>() == "error");
    CHECK(archived[1].as<bool>());
    CHECK(archived[2].as<std::string>() == "{}");
    CHECK(sql.exec_params1("SELECT count(*) FROM tasker.archived_step_failures WHERE task_id = $1::uuid AND "
                           "message = 'the card was declined'",
                           failed.to_string())[0]
              .as<int>() == 1);

    const auto gone = detail::run_blocking(tasks.get_task(failed));
    REQUIRE_FALSE(gone);
    CHECK(gone.error() == errc::task_not_found);
    CHECK(test::await_value(tasks.dead_letter_of(failed)).id == entry.id);
    CHECK(test::await_value(tasks.get_task(running)).state == task_state::steps_in_process);
    CHECK(rows_of(sql, "archived_tasks", running) == 0);
}

TEST_CASE("postgres store: retention deletes the messages PGMQ archived, by the same age", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    postgres::store tasks({db.url(), 1, 5});
    pgmq::broker messages({.url = db.url()});
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto q = worker_queue(tmpl->namespace_name).value();
    test::await_value(messages.ensure_queue(q));
    for (int i = 0; i < 3; ++i)
        test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}}));
    std::vector<delivery_id> read;
    for (const auto& d : test::await_value(messages.read(q, 10, 30s)))
        read.push_back(d.id);
    REQUIRE(read.size() == 3);
    test::await_value(messages.ack(q, read)); // archived: pgmq.a_<queue>

    pqxx::connection c(db.url());
    pqxx::nontransaction sql(c);
    const auto archived = [&] {
        return sql.exec1("SELECT count(*) FROM pgmq.\"a_" + q.str() + "\"")[0].as<int>();
    };
    REQUIRE(archived() == 3);

    // Young: kept. Old: gone, a batch at a time; the running tasks stay.
    auto young = test::await_value(tasks.purge_finished({1h, retention_mode::remove, 2, std::nullopt}));
    CHECK(young.messages == 0);
    CHECK(young.removed == 0);
    CHECK_FALSE(young.more);
    const auto later = std::chrono::system_clock::now() + 2h;
    auto first = test::await_value(tasks.purge_finished({1h, retention_mode::remove, 2, later}));
    CHECK(first.messages == 2);
    CHECK(first.more);
    auto second = test::await_value(tasks.purge_finished({1h, retention_mode::remove, 2, later}));
    CHECK(second.messages == 1);
    CHECK_FALSE(second.more);
    CHECK(archived() == 0);
    CHECK(sql.exec1("SELECT count(*) FROM tasker.tasks")[0].as<int>() == 3);
}
