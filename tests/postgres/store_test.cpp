// tasker::postgres::store against a real PostgreSQL: the store conformance suite (its messages
// read back through the PGMQ broker on the same database), what other processes see, the
// schema's enums against the C++ names, and fan-in under per-task serialisation.
#include <tasker/postgres/store.hpp>

#include <tasker/engine/client.hpp>
#include <tasker/model/template_registry.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/state/step_state.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/testing/postgres.hpp>
#include <tasker/testing/store_conformance.hpp>

#include "support/await_value.hpp"
#include "support/catch.hpp"
#include "support/templates.hpp"

#include <pqxx/pqxx>

#include <array>
#include <atomic>
#include <filesystem>
#include <latch>
#include <optional>
#include <thread>

using namespace tasker;

namespace {
const change_origin by_operator{"operator:test", "a test", nullptr};
}
using namespace std::chrono_literals;

namespace {

static_assert(task_store<postgres::store>);

struct postgres_store_fixture {
    /// Whole seconds, as pgmq counts them (the broker's leases); generous margins on a loaded
    /// machine for the suite's lease and backoff checks, which run on real time.
    static constexpr duration tick = 1s;

    /// A database per fixture: the suite's cases must not see each other's templates (they
    /// register the same names with other content) or queues.
    testing::postgres_database db = testing::migrated_database();
    // Polling: the suite only reads; no listener connection is needed.
    pgmq::broker messages{{db.url(), 2, pgmq::wake_mode::polling}};
    postgres::store tasks{{db.url(), 2, 11}};

    postgres::store& store() { return tasks; }
    pgmq::broker& broker() { return messages; }
    time_point now() const { return std::chrono::system_clock::now(); }
    void advance(duration d) { std::this_thread::sleep_for(d); } // a real server keeps real time
};


template <class T>
result<T> blocking(awaitable<result<T>> op)
{
    return detail::run_blocking(std::move(op));
}

/// Runs `op` while another session holds `task`'s row lock, and cuts `op`'s connection once
/// it waits for that lock (after everything it did before taking its locks): what `op`
/// answers.
template <class T>
result<T> cut_at_the_lock(const testing::postgres_database& db, const task_id& task, awaitable<result<T>> op)
{
    pqxx::connection c(db.url());
    pqxx::nontransaction sql(c);
    pqxx::connection holder(db.url());
    pqxx::work hold(holder);
    hold.exec_params("SELECT 1 FROM tasker.tasks WHERE id = $1::uuid FOR UPDATE", task.to_string());
    std::optional<result<T>> answer;
    std::jthread runner([&] { answer = blocking(std::move(op)); });
    const std::string waiting = "FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    while (sql.exec("SELECT count(*) " + waiting)[0][0].as<int>() == 0)
        std::this_thread::yield();
    sql.exec("SELECT pg_terminate_backend(pid) " + waiting);
    runner.join();
    hold.abort();
    return std::move(*answer);
}

std::vector<message> drain(pgmq::broker& b, queue_name q)
{
    std::vector<message> out;
    while (true) {
        auto got = test::await_value(b.read(q, 100, 60s));
        if (got.empty())
            return out;
        std::vector<delivery_id> ids;
        for (const auto& d : got) {
            out.push_back(d.msg);
            ids.push_back(d.id);
        }
        test::await_value(b.ack(q, std::move(ids)));
    }
}

} // namespace

TASKER_STORE_CONFORMANCE(postgres_store_fixture, "[postgres]");

TEST_CASE("postgres store: another store on the database sees templates and tasks", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    postgres::store first({db.url(), 2, 1});
    postgres::store second({db.url(), 2, 2}); // as another process would: nothing shared in memory

    // Every example template, as its loader made it, reads back the same from the other store.
    std::vector<template_ptr> registered;
    for (const auto& file : std::filesystem::directory_iterator(TASKER_EXAMPLES_DIR "/templates")) {
        if (file.path().extension() != ".yaml")
            continue;
        INFO(file.path());
        auto loaded = load_template_file(file.path().string());
        REQUIRE(loaded);
        registered.push_back(test::await_value(first.register_template(std::move(*loaded))));
    }
    REQUIRE_FALSE(registered.empty());
    for (const auto& t : registered) {
        INFO(t->key());
        const auto seen = test::await_value(second.find_template({t->namespace_name, t->name, t->version}));
        CHECK(same_definition(*seen, *t));
        CHECK(seen->metadata == t->metadata);
        CHECK(seen->graph.size() == t->graph.size());
        const auto newest = test::await_value(second.find_template({t->namespace_name, t->name, std::nullopt}));
        CHECK(newest->key() == t->key());
    }
    CHECK(test::await_value(second.list_templates()).size() == registered.size());

    // Custom retry defaults travel with the template, not with the reader's defaults.
    template_options options;
    options.retry_defaults.max_attempts = 7;
    options.retry_defaults.base = 250ms;
    const auto custom = test::make_template({{"only"}}, "elsewhere", "custom", {}, options);
    test::await_value(first.register_template(*custom));
    const auto custom_seen = test::await_value(second.find_template({"elsewhere", "custom", std::nullopt}));
    CHECK(custom_seen->steps[0].effective_retry == custom->steps[0].effective_retry);
    CHECK(custom_seen->steps[0].effective_retry.max_attempts == 7);
    // The second store registers the same content: a no-op, wherever it was registered first.
    CHECK(test::await_value(second.register_template(*custom))->key() == custom->key());

    // A task made through one store is the same task through the other, identity key included,
    // its context as written (a whole double stays a double).
    const auto diamond = registered[0];
    new_task nt{diamond, make_json(json::object{{"even_number", 2}, {"ratio", 2.0}, {"big", 1e6}}), "once", "corr-1"};
    const auto created = test::await_value(first.create_task(nt));
    CHECK(created.created);
    const auto again = test::await_value(second.create_task(nt));
    CHECK_FALSE(again.created);
    CHECK(again.id == created.id);
    const auto a = test::await_value(first.get_task(created.id));
    const auto b = test::await_value(second.get_task(created.id));
    CHECK(b.state == a.state);
    CHECK(b.correlation_id == "corr-1");
    CHECK(b.steps.size() == a.steps.size());
    CHECK(b.task_transitions.size() == a.task_transitions.size());
    CHECK(b.step_transitions.size() == a.step_transitions.size());
    CHECK(*b.context == *a.context);
    CHECK(b.context->at("ratio").is_double());
    CHECK(b.context->at("big").is_double());
    CHECK(test::await_value(second.list_tasks({})).tasks.size() == 1);

    // A result recorded through one store reads back the same through the other.
    std::vector<claim_request> claim{{{created.id, 0}, 1, 30s}};
    REQUIRE(test::await_value(second.claim_steps(std::move(claim)))[0].status == claim_status::claimed);
    step_outcome o;
    o.ref = {created.id, 0};
    o.result = make_json(json::object{{"value", 10.0}, {"items", json::array{1, 2.5, "three"}}});
    std::vector<step_outcome> outcomes{o};
    REQUIRE(test::await_value(second.record_results(std::move(outcomes)))[0] == record_status::recorded);
    const auto recorded = test::await_value(first.get_task(created.id));
    REQUIRE(recorded.steps[0].result);
    CHECK(*recorded.steps[0].result == *o.result);
    CHECK(recorded.steps[0].result->at("value").is_double());
}

TEST_CASE("postgres store: a template with every field reads back exactly", "[postgres][store]")
{
    // Strings YAML would take for something else, numbers of every kind, nesting, unicode,
    // every optional setting: the stored JSON goes back through the YAML loader.
    const char* yaml = R"(
name: tricky
namespace_name: edge_cases
version: 2.1.0-rc.1+build.7
description: "line one\nline \"two\"\t# not a comment: really"
metadata: {owner: "team: core", tags: [yes, "no", "~", "null", "1.0", "- item"], nested: {empty: {}, list: []}}
input_schema:
  type: object
  properties:
    amount: {type: number, minimum: 0.5, maximum: 1e6}
retry: {max_attempts: 4, backoff: exponential, backoff_base_ms: 150, backoff_multiplier: 1.5, jitter: 0.25}
lifecycle: {max_duration_minutes: 90, max_waiting_for_retry_minutes: 5, staleness_action: error}
steps:
  - name: first
    description: "ünïcödé ✓ and a colon: here"
    handler:
      callable: edge.first
      initialization: {url: "http://example.com/a?b=c&d", count: 3, ratio: 0.1, big: 9007199254740993, neg: -7,
                       flag: false, nothing: null, text: "true", quote: "it's"}
    retry: {retryable: false, max_backoff_ms: 60000}
    timeout_seconds: 45
  - name: second
    depends_on: [first]
    handler: {callable: edge.second}
    retry: {backoff: linear, max_attempts: 1}
)";
    auto loaded = load_template(yaml);
    REQUIRE(loaded);
    const auto db = testing::migrated_database();
    postgres::store writer({db.url(), 1, 5});
    postgres::store reader({db.url(), 1, 6});
    const auto written = test::await_value(writer.register_template(*loaded));
    const auto read = test::await_value(reader.find_template({"edge_cases", "tricky", std::nullopt}));
    CHECK(same_definition(*read, *loaded));
    CHECK(read->version.to_string() == "2.1.0-rc.1+build.7");
    CHECK(read->metadata == loaded->metadata);
    CHECK(read->input_schema == loaded->input_schema);
    CHECK(read->steps[0].handler.initialization == loaded->steps[0].handler.initialization);
    CHECK(read->steps[0].description == loaded->steps[0].description);
    CHECK(read->description == loaded->description);
    CHECK(read->lifecycle.action == staleness_action::error);
    CHECK(read->steps[0].timeout == std::optional<seconds>(45));
    CHECK(read->steps[1].effective_retry == loaded->steps[1].effective_retry);
    // Build metadata takes no part in a template's identity.
    auto rebuilt = *loaded;
    rebuilt.version.build = "other";
    CHECK(test::await_value(reader.register_template(std::move(rebuilt)))->version.build == "build.7");
}

TEST_CASE("postgres store: the schema's enums are the C++ names, in order", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    const auto labels = [&](const std::string& type) {
        std::vector<std::string> out;
        for (const auto& row : tx.exec("SELECT unnest(enum_range(NULL::tasker." + type + "))::text"))
            out.emplace_back(row[0].c_str());
        return out;
    };
    const auto names = [](auto count, auto to_name) {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < count; ++i)
            out.emplace_back(to_name(i));
        return out;
    };
    CHECK(labels("task_state") ==
          names(task_state_count, [](std::size_t i) { return to_string(static_cast<task_state>(i)); }));
    CHECK(labels("task_event") ==
          names(task_event_count, [](std::size_t i) { return to_string(static_cast<task_event>(i)); }));
    CHECK(labels("step_state") ==
          names(step_state_count, [](std::size_t i) { return to_string(static_cast<step_state>(i)); }));
    CHECK(labels("step_event") ==
          names(step_event_count, [](std::size_t i) { return to_string(static_cast<step_event>(i)); }));
    CHECK(labels("error_kind") == std::vector<std::string>{"retryable", "permanent", "timeout"});
}

TEST_CASE("postgres store: two orchestrators finishing both parents enqueue the child once", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    pgmq::broker messages({db.url(), 1, pgmq::wake_mode::polling});
    postgres::store one({db.url(), 2, 3});
    postgres::store two({db.url(), 2, 4}); // another orchestrator process
    const auto tmpl = test::await_value(one.register_template(*test::diamond()));
    const auto worker_q = worker_queue("tests").value();
    const auto orchestration_q = orchestration_queue();

    constexpr int rounds = 5;
    for (int round = 0; round < rounds; ++round) {
        INFO("round " << round);
        const auto id = test::await_value(one.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
        auto run_step = [&](std::uint32_t step) {
            std::vector<claim_request> claim{{{id, step}, 1, 30s}};
            REQUIRE(test::await_value(one.claim_steps(std::move(claim)))[0].status == claim_status::claimed);
            step_outcome o;
            o.ref = {id, step};
            o.result = make_json(json::object{{"step", step}});
            std::vector<step_outcome> outcomes{o};
            REQUIRE(test::await_value(one.record_results(std::move(outcomes)))[0] == record_status::recorded);
        };
        run_step(0);
        test::await_value(one.orchestrate(drain(messages, orchestration_q)));
        run_step(1);
        run_step(2);
        const auto results = drain(messages, orchestration_q);
        REQUIRE(results.size() == 2);

        // Each orchestrator processes one parent's result, at the same moment.
        std::latch start(2);
        std::array<result<void>, 2> done{result<void>{}, result<void>{}};
        {
            std::jthread a([&] {
                start.arrive_and_wait();
                done[0] = blocking(one.orchestrate({results[0]}));
            });
            std::jthread b([&] {
                start.arrive_and_wait();
                done[1] = blocking(two.orchestrate({results[1]}));
            });
        }
        REQUIRE(done[0]);
        REQUIRE(done[1]);
        const auto v = test::await_value(two.get_task(id));
        CHECK(v.steps[3].state == step_state::enqueued);
        const auto ready = drain(messages, worker_q);
        CHECK(std::count_if(ready.begin(), ready.end(), [&](const message& m) { return m.step == 3; }) == 1);
        CHECK(std::count_if(v.step_transitions.begin(), v.step_transitions.end(), [](const step_transition& t) {
                  return t.step == 3 && t.to == step_state::enqueued;
              }) == 1);
    }
}

TEST_CASE("postgres store: a write refused after taking its locks leaves no transaction open", "[postgres][store]")
{
    // A write begins with its locks and ends with its commit, each sent along with a statement
    // (write_transaction): a refusal in between must roll back, or the connection would carry
    // the open transaction -- and its locks -- into the next operation.
    const auto db = testing::migrated_database();
    postgres::store tasks({db.url(), 1, 5}); // one connection: every operation reuses it
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto id = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
    const auto before = test::await_value(tasks.get_task(id));

    // Resolving a task that has not failed is refused by the decision core, under the lock.
    const auto refused = blocking(tasks.apply_action(id, action::resolve_task{}, by_operator));
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == errc::illegal_transition);

    pqxx::connection observer(db.url());
    pqxx::nontransaction look(observer);
    CHECK(look.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND state LIKE 'idle in transaction%'")[0]
              .as<int>() == 0);
    // pg_locks covers the whole cluster, and every test database has its tasks table under the
    // same oid (same template, same migrations): only this database's locks are the store's.
    CHECK(look.exec1("SELECT count(*) FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
                     "JOIN pg_database AS d ON d.oid = l.database AND d.datname = current_database() "
                     "WHERE c.relname = 'tasks' AND l.pid <> pg_backend_pid()")[0]
              .as<int>() == 0);
    const auto after = test::await_value(tasks.get_task(id));
    CHECK(after.state == before.state);
    CHECK(after.step_transitions.size() == before.step_transitions.size());

    // The same connection then writes normally: its claim commits and stays.
    std::vector<claim_request> claim{{{id, 0}, 1, 30s}};
    REQUIRE(test::await_value(tasks.claim_steps(std::move(claim)))[0].status == claim_status::claimed);
    CHECK(test::await_value(postgres::store({db.url(), 1, 6}).get_task(id)).steps[0].state == step_state::in_progress);
}

TEST_CASE("postgres store: deleting a task deletes its steps and its whole history", "[postgres][store]")
{
    // History rows carry no foreign key (migration 0007: checking one per row cost a tenth of
    // a burst); a trigger on tasks removes them instead, as ON DELETE CASCADE did.
    const auto db = testing::migrated_database();
    postgres::store tasks({db.url(), 1, 5});
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto gone = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
    const auto kept = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
    for (const auto& id : {gone, kept}) {
        std::vector<claim_request> claim{{{id, 0}, 1, 30s}};
        REQUIRE(test::await_value(tasks.claim_steps(std::move(claim)))[0].status == claim_status::claimed);
    }

    pqxx::connection c(db.url());
    pqxx::nontransaction sql(c);
    const auto rows_of = [&](const char* table, const task_id& id) {
        return sql.exec_params1(std::string("SELECT count(*) FROM tasker.") + table + " WHERE task_id = $1::uuid",
                                id.to_string())[0]
            .as<int>();
    };
    REQUIRE(rows_of("step_transitions", gone) > 0);
    REQUIRE(rows_of("task_transitions", gone) > 0);
    const auto kept_history = rows_of("step_transitions", kept) + rows_of("task_transitions", kept);

    sql.exec_params("DELETE FROM tasker.tasks WHERE id = $1::uuid", gone.to_string());
    CHECK(rows_of("steps", gone) == 0);
    CHECK(rows_of("step_transitions", gone) == 0);
    CHECK(rows_of("task_transitions", gone) == 0);
    CHECK(rows_of("step_transitions", kept) + rows_of("task_transitions", kept) == kept_history);
    CHECK(test::await_value(tasks.get_task(kept)).steps[0].state == step_state::in_progress);
}

TEST_CASE("postgres store: a worker's read and claims commit together, or neither does", "[postgres][store]")
{
    // claim_queued reads the worker queue and claims in one transaction (the engines use it
    // next to a PGMQ broker): a claim that does not commit must leave its messages unread.
    const auto db = testing::migrated_database();
    pgmq::broker messages({db.url(), 1, pgmq::wake_mode::polling});
    postgres::store tasks({db.url(), 1, 7});
    REQUIRE(tasks.reads_queues());
    const auto q = worker_queue("tests").value();
    test::await_value(messages.ensure_queue(q));
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto id = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;

    pqxx::connection c(db.url());
    pqxx::nontransaction sql(c);
    const auto read_counts = [&] {
        return sql.exec("SELECT coalesce(sum(read_ct), 0), count(*) FILTER (WHERE vt <= clock_timestamp()) "
                        "FROM pgmq.q_worker_tests")[0];
    };

    // Another session holds the task's row lock: the claim reads, then waits for the lock,
    // and its connection is cut there.
    const auto cut = cut_at_the_lock(db, id, tasks.claim_queued(q, 10, 30s, uuid{}));
    REQUIRE_FALSE(cut);
    CHECK(cut.error() == errc::backend_unavailable);
    CHECK(read_counts()[0].as<int>() == 0); // never read: the read rolled back with the claim
    CHECK(read_counts()[1].as<int>() == 1); // and still visible
    CHECK(test::await_value(tasks.get_task(id)).steps[0].state == step_state::enqueued);

    // Again, with nothing in the way: the message is read (leased) and its step claimed.
    const auto owner = uuid_generator(1).next(std::chrono::system_clock::now());
    const auto taken = test::await_value(tasks.claim_queued(q, 10, 30s, owner));
    REQUIRE(taken.deliveries.size() == 1);
    REQUIRE(taken.outcomes.size() == 1);
    CHECK(taken.deliveries[0].msg.task == id);
    CHECK(taken.deliveries[0].read_count == 1);
    CHECK(taken.outcomes[0].status == claim_status::claimed);
    CHECK(taken.outcomes[0].claim.ref == step_ref{id, 0});
    CHECK(read_counts()[0].as<int>() == 1);
    CHECK(read_counts()[1].as<int>() == 0); // leased: the broker reads nothing
    CHECK(test::await_value(messages.read(q, 10, 30s)).empty());
    CHECK(test::await_value(tasks.get_task(id)).steps[0].state == step_state::in_progress);
    // The broker acks what the store read: same queue tables.
    test::await_value(messages.ack(q, {taken.deliveries[0].id}));
    CHECK(sql.exec("SELECT count(*) FROM pgmq.q_worker_tests")[0][0].as<int>() == 0);
}

TEST_CASE("postgres store: an orchestrator's read, pass and ack commit together, or none does", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    pgmq::broker messages({db.url(), 1, pgmq::wake_mode::polling});
    postgres::store tasks({db.url(), 1, 8});
    const auto q = orchestration_queue();
    test::await_value(messages.ensure_queue(q));
    test::await_value(messages.ensure_queue(worker_queue("tests").value()));
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto id = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
    std::vector<claim_request> claim{{{id, 0}, 1, 30s}};
    REQUIRE(test::await_value(tasks.claim_steps(std::move(claim)))[0].status == claim_status::claimed);
    step_outcome o;
    o.ref = {id, 0};
    o.result = make_json(json::object{});
    std::vector<step_outcome> outcomes{o};
    REQUIRE(test::await_value(tasks.record_results(std::move(outcomes)))[0] == record_status::recorded);

    pqxx::connection c(db.url());
    pqxx::nontransaction sql(c);
    const auto queued = [&] {
        return sql.exec("SELECT count(*), coalesce(sum(read_ct), 0) FROM pgmq.q_orchestration_step_results")[0];
    };
    const auto archived = [&] {
        return sql.exec("SELECT count(*) FROM pgmq.a_orchestration_step_results")[0][0].as<int>();
    };

    // Cut at the task's lock, after the read: nothing read, processed or archived.
    const auto cut = cut_at_the_lock(db, id, tasks.process_queued(q, 10, 30s));
    REQUIRE_FALSE(cut);
    CHECK(cut.error() == errc::backend_unavailable);
    CHECK(queued()[0].as<int>() == 1);
    CHECK(queued()[1].as<int>() == 0);
    CHECK(archived() == 0);
    CHECK(test::await_value(tasks.get_task(id)).steps[0].state == step_state::enqueued_for_orchestration);

    const auto read = test::await_value(tasks.process_queued(q, 10, 30s));
    REQUIRE(read.size() == 1);
    CHECK(read[0].msg.kind == message_kind::step_result);
    CHECK(read[0].msg.task == id);
    const auto v = test::await_value(tasks.get_task(id));
    CHECK(v.steps[0].state == step_state::complete);
    CHECK(v.steps[1].state == step_state::enqueued);
    CHECK(v.steps[2].state == step_state::enqueued);
    // Archived by the pass's commit: nothing left to ack, nothing for anyone to read.
    CHECK(queued()[0].as<int>() == 0);
    CHECK(archived() == 1);
    CHECK(test::await_value(tasks.process_queued(q, 10, 30s)).empty());
}

TEST_CASE("postgres store: a message that is not tasker's, read with claims, is archived with them",
          "[postgres][store]")
{
    const auto db = testing::migrated_database();
    pgmq::broker messages({db.url(), 1, pgmq::wake_mode::polling});
    postgres::store tasks({db.url(), 1, 9});
    const auto q = worker_queue("tests").value();
    test::await_value(messages.ensure_queue(q));
    pqxx::connection c(db.url());
    pqxx::nontransaction sql(c);
    sql.exec("SELECT pgmq.send('worker_tests', '{\"hello\": \"world\"}'::jsonb)");
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto id = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;

    const auto taken = test::await_value(tasks.claim_queued(q, 10, 30s, uuid{}));
    REQUIRE(taken.deliveries.size() == 1);
    CHECK(taken.outcomes[0].status == claim_status::claimed);
    CHECK(taken.outcomes[0].claim.ref == step_ref{id, 0});
    CHECK(sql.exec("SELECT count(*) FROM pgmq.a_worker_tests WHERE message ? 'hello'")[0][0].as<int>() == 1);
    CHECK(sql.exec("SELECT count(*) FROM pgmq.q_worker_tests")[0][0].as<int>() == 1); // the claimed one, leased
}

TEST_CASE("postgres store: a wait for a task ends when another process ends it, not another task",
          "[postgres][store]")
{
    // The waiter's store and the one that ends the tasks share nothing but the database, as
    // two processes would. The wait may run 90 s: it must end on the notification, long before.
    const auto db = testing::migrated_database();
    postgres::store waiting({db.url(), 1, 12});
    postgres::store elsewhere({db.url(), 1, 13});
    const auto tmpl = test::await_value(elsewhere.register_template(*test::diamond()));
    const auto mine = test::await_value(elsewhere.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
    const auto other = test::await_value(elsewhere.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
    const auto wait = [&](std::uint64_t seen) {
        detail::run_blocking(waiting.wait_for_finish(mine, seen, std::chrono::system_clock::now() + 90s));
    };

    // The first wait starts the listener and ends once it is subscribed: from then on, no
    // task that ends is missed.
    wait(waiting.version());
    const auto seen = waiting.version();
    CHECK(seen >= 1);

    const auto asked = std::chrono::steady_clock::now();
    std::atomic<std::uint64_t> woke_at{0};
    std::jthread waiter([&] {
        wait(seen);
        woke_at = waiting.version();
    });
    // Another task ends: heard (the version moves), and the waiter sleeps on.
    REQUIRE(test::await_value(elsewhere.apply_action(other, action::cancel{}, by_operator)) == task_state::cancelled);
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (waiting.version() == seen && std::chrono::steady_clock::now() < give_up)
        std::this_thread::yield();
    const auto other_heard = waiting.version();
    REQUIRE(other_heard > seen);
    REQUIRE(test::await_value(elsewhere.apply_action(mine, action::cancel{}, by_operator)) == task_state::cancelled);
    waiter.join();
    CHECK(woke_at > other_heard); // woken by its own task's end, not the other's
    CHECK(std::chrono::steady_clock::now() - asked < 60s);

    // And the client's wait, on top of it, answers with the ended task.
    client<postgres::store> front(waiting);
    const auto view = detail::run_blocking(front.wait_until_finished(mine, std::chrono::system_clock::now() + 90s));
    REQUIRE(view);
    CHECK(view->state == task_state::cancelled);
}

TEST_CASE("postgres store: a commit that ends tasks names them, others do not notify", "[postgres][store]")
{
    const auto db = testing::migrated_database();
    pgmq::broker messages({db.url(), 1, pgmq::wake_mode::polling});
    postgres::store tasks({db.url(), 1, 14});
    test::await_value(messages.ensure_queue(worker_queue("tests").value()));
    const auto tmpl = test::await_value(tasks.register_template(*test::diamond()));
    const auto a = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;
    const auto b = test::await_value(tasks.create_task({tmpl, make_json(json::object{}), {}, {}})).id;

    pqxx::connection listening(db.url());
    int heard = 0;
    std::vector<std::string> payloads;
    struct counter final : pqxx::notification_receiver {
        counter(pqxx::connection_base& c, int& n, std::vector<std::string>& p)
            : pqxx::notification_receiver(c, "tasker$finished"), n_(n), p_(p)
        {
        }
        void operator()(const std::string& payload, int) override
        {
            ++n_;
            p_.push_back(payload);
        }
        int& n_;
        std::vector<std::string>& p_;
    } receiver(listening, heard, payloads);
    pqxx::nontransaction(listening).exec("select 1"); // the LISTEN takes effect

    // A claim ends no task; each cancel ends one, in a commit of its own.
    std::vector<claim_request> claim{{{a, 0}, 1, 30s}};
    REQUIRE(test::await_value(tasks.claim_steps(std::move(claim)))[0].status == claim_status::claimed);
    REQUIRE(test::await_value(tasks.apply_action(a, action::cancel{}, by_operator)) == task_state::cancelled);
    REQUIRE(test::await_value(tasks.apply_action(b, action::cancel{}, by_operator)) == task_state::cancelled);
    for (int waited = 0; heard < 2 && waited < 30; ++waited)
        listening.await_notification(1, 0);
    // All three commits are done: whatever they sent has arrived by the end of a statement.
    pqxx::nontransaction(listening).exec("select 1");
    listening.get_notifs();
    CHECK(heard == 2);
    CHECK(payloads == std::vector<std::string>{a.to_string(), b.to_string()}); // each names its task
}
