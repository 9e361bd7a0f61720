// The hot path beside a large history: diamond-N on PostgreSQL with PGMQ measured three times in
// one process, on one database: empty; holding a million finished tasks (each with its steps and
// whole history, cloned in SQL from a task the runtime ran); and while retention deletes those
// tasks in batches, as an orchestrator's retention passes do. Prints steps/s and per-hop latency
// of each phase, how long the seeding took and how fast retention went, and times analytics on
// the full database.
#include "postgres_runs.hpp"
#include "scratch_database.hpp"

#include <tasker/pgmq/broker.hpp>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <unistd.h>

using namespace tasker;
using steady = std::chrono::steady_clock;

namespace {

struct settings {
    std::string url;
    int tasks = 1000;
    int width = 8;
    int latency_tasks = 50;
    long long finished = 1000000;
    int seed_width = 1;
    long long chunk = 100000;
    std::size_t retention_batch = 500;
    int repeats = 3;
};

double since(steady::time_point start)
{
    return std::chrono::duration<double>(steady::now() - start).count();
}

/// Clones finished task `sample` `count` times, straight in SQL, in transactions of `chunk`
/// tasks: rows as the store wrote them, new version-7 ids, times shifted to spread the clones
/// over the day before now (so the default 30-day retention would keep them all).
void seed_finished(const std::string& url, const task_id& sample, long long count, long long chunk)
{
    pqxx::connection c(url);
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const long long first_ms = now_ms - 2 * 86400000LL; // a day's worth of ids, ending a day ago
    const double step_ms = 86400000.0 / static_cast<double>(count);
    const char* tables[] = {"tasker.tasks", "tasker.steps", "tasker.task_transitions", "tasker.step_transitions"};
    {
        // A bulk load: autovacuum stays off the tables while they fill, a VACUUM follows.
        pqxx::nontransaction tx(c);
        tx.exec("CREATE TEMP TABLE bench_seed (id uuid PRIMARY KEY, at timestamptz NOT NULL)");
        for (const char* t : tables)
            tx.exec(std::string("ALTER TABLE ") + t + " SET (autovacuum_enabled = false)");
    }
    for (long long from = 0; from < count; from += chunk) {
        const long long to = std::min(count, from + chunk) - 1;
        pqxx::work tx(c);
        tx.exec("TRUNCATE bench_seed");
        tx.exec_params(
            "INSERT INTO bench_seed SELECT (lpad(to_hex(ms), 12, '0') || '7' || lpad(to_hex(g % 4096), 3, '0') || '8' "
            "|| lpad(to_hex(g), 15, '0'))::uuid, timestamptz 'epoch' + ms * interval '1 millisecond' "
            "FROM (SELECT g, $1::bigint + (g * $2::float8)::bigint AS ms FROM generate_series($3::bigint, $4::bigint) "
            "AS g) AS s",
            first_ms, step_ms, from, to);
        const auto id = sample.to_string();
        tx.exec_params("INSERT INTO tasker.tasks (id, template_id, state, context, created_at, updated_at) "
                       "SELECT b.id, s.template_id, s.state, s.context, b.at, b.at + (s.updated_at - s.created_at) "
                       "FROM bench_seed AS b, tasker.tasks AS s WHERE s.id = $1::uuid ORDER BY b.id",
                       id);
        tx.exec_params("INSERT INTO tasker.steps (task_id, idx, state, attempts, result) "
                       "SELECT b.id, st.idx, st.state, st.attempts, st.result "
                       "FROM bench_seed AS b, tasker.steps AS st WHERE st.task_id = $1::uuid ORDER BY b.id, st.idx",
                       id);
        tx.exec_params("INSERT INTO tasker.task_transitions "
                       "(seq, task_id, from_state, to_state, event, at, most_recent, actor, reason, metadata) "
                       "SELECT nextval('tasker.transition_seq'), b.id, h.from_state, h.to_state, h.event, "
                       "b.at + (h.at - s.created_at), h.most_recent, h.actor, h.reason, h.metadata "
                       "FROM bench_seed AS b, tasker.task_transitions AS h JOIN tasker.tasks AS s ON s.id = h.task_id "
                       "WHERE h.task_id = $1::uuid ORDER BY b.id, h.seq",
                       id);
        tx.exec_params("INSERT INTO tasker.step_transitions "
                       "(seq, task_id, idx, attempt, from_state, to_state, event, at, most_recent, actor, reason, "
                       "metadata) "
                       "SELECT nextval('tasker.transition_seq'), b.id, h.idx, h.attempt, h.from_state, h.to_state, "
                       "h.event, b.at + (h.at - s.created_at), h.most_recent, h.actor, h.reason, h.metadata "
                       "FROM bench_seed AS b, tasker.step_transitions AS h JOIN tasker.tasks AS s ON s.id = h.task_id "
                       "WHERE h.task_id = $1::uuid ORDER BY b.id, h.seq",
                       id);
        tx.commit();
    }
    pqxx::nontransaction tx(c);
    tx.exec("VACUUM (ANALYZE) tasker.tasks, tasker.steps, tasker.task_transitions, tasker.step_transitions");
    for (const char* t : tables)
        tx.exec(std::string("ALTER TABLE ") + t + " RESET (autovacuum_enabled)");
    // What was written reaches the data files now, and the disk (this bench runs beside its
    // server), not during the next phase: a database that has held its tasks for a while.
    tx.exec("CHECKPOINT");
    ::sync();
}

/// Times `analytics` over windows ending now, on the database as it is: the median and the
/// slowest of `calls` calls per window.
template <class B>
void time_analytics(postgres::runtime<B>& rt, int calls)
{
    using namespace std::chrono_literals;
    for (auto window : {duration(5min), duration(1h), duration(48h)}) {
        std::vector<double> ms;
        std::uint64_t started = 0, sampled = 0;
        for (int i = 0; i < calls; ++i) {
            const auto now = std::chrono::system_clock::now();
            const auto start = steady::now();
            auto a = detail::run_blocking(rt.task_store().analytics({.from = now - window, .to = now}));
            ms.push_back(since(start) * 1000);
            if (!a)
                throw std::runtime_error("analytics failed: " + a.error().what());
            started = 0;
            for (const auto& t : a->templates)
                started += t.started;
            sampled = a->sampled_tasks;
        }
        std::cout << "analytics, last " << std::chrono::duration_cast<std::chrono::minutes>(window).count()
                  << " min (" << started << " tasks in it, " << sampled << " sampled): median "
                  << bench::percentile(ms, 0.5) << " ms, slowest " << bench::percentile(ms, 1.0) << " ms of " << calls
                  << " calls\n";
    }
}

void report(const char* phase, const bench::burst_figures& f, const bench::hop_samples& hops)
{
    std::cout << phase << ": " << static_cast<long>(f.steps_per_second) << " steps/s (" << f.seconds
              << " s); one task at a time: " << bench::describe(hops) << "\n";
}

/// Vacuums the PGMQ queue tables. Every message leaves a dead row in its queue table, and until
/// a vacuum removes them reads and deletes there slow down: a phase that happened to start just
/// after autovacuum's visit (once a minute by default) would be measured on cleaner queues than
/// one that did not. Each phase starts from the same state.
void vacuum_queues(const std::string& url)
{
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    for (const auto& row : tx.exec("SELECT tablename FROM pg_tables WHERE schemaname = 'pgmq' AND tablename LIKE 'q\\_%'"))
        tx.exec("VACUUM pgmq." + tx.quote_name(row[0].c_str()));
}

/// `repeats` bursts, then the single tasks: the median burst is reported, every burst listed.
template <class B>
void measure(const char* phase, postgres::runtime<B>& rt, const task_template& tmpl, const settings& s,
             const std::string& url)
{
    vacuum_queues(url);
    std::vector<bench::burst_figures> bursts;
    std::string each;
    for (int i = 0; i < s.repeats; ++i) {
        bursts.push_back(bench::burst(rt, tmpl, s.tasks));
        each += (i ? ", " : "") + std::to_string(static_cast<long>(bursts.back().steps_per_second));
    }
    std::sort(bursts.begin(), bursts.end(), [](const auto& a, const auto& b) {
        return a.steps_per_second < b.steps_per_second;
    });
    std::cout << phase << ", bursts: " << each << " steps/s\n";
    report(phase, bursts[bursts.size() / 2], bench::one_at_a_time(rt, tmpl, s.latency_tasks));
}

} // namespace

int main(int argc, char** argv)
{
    settings s;
    if (const char* env = std::getenv("TASKER_DATABASE_URL"))
        s.url = env;
    CLI::App app{"diamond-N on PostgreSQL with PGMQ: empty, beside a million finished tasks, and during retention"};
    app.add_option("--url", s.url, "maintenance database URL (default: TASKER_DATABASE_URL)");
    app.add_option("--tasks", s.tasks, "tasks submitted at once in each burst")->capture_default_str();
    app.add_option("--width", s.width, "parallel middle steps of the measured diamond")->capture_default_str();
    app.add_option("--latency-tasks", s.latency_tasks, "tasks run one at a time per phase")->capture_default_str();
    app.add_option("--repeats", s.repeats, "bursts per phase (the median is reported)")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--finished", s.finished, "finished tasks the database holds in the second phase")
        ->capture_default_str();
    app.add_option("--seed-width", s.seed_width, "parallel middle steps of the finished tasks' diamond")
        ->capture_default_str();
    app.add_option("--chunk", s.chunk, "finished tasks inserted per transaction")->capture_default_str();
    app.add_option("--retention-batch", s.retention_batch, "tasks per retention batch in the third phase")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (s.url.empty()) {
        std::cerr << "give --url or set TASKER_DATABASE_URL\n";
        return 1;
    }

    const bench::scratch_database db(s.url, true);
    postgres::runtime_options o{.url = db.url()};
    o.worker.namespaces = {"bench"};
    o.worker.concurrency = 16;
    o.worker.execution = handler_execution::inline_on_worker;
    postgres::runtime<pgmq::broker> rt(o, pgmq::broker_config{.url = db.url()});
    rt.handlers().add("bench.noop", [](step_context&) { return success(); });
    const auto measured = bench::diamond_template(s.width);
    auto kept = bench::diamond_template(s.seed_width);
    kept.name = "finished_" + std::to_string(s.seed_width);
    kept = validate_template(std::move(kept)).value();
    rt.register_template(measured).value();
    rt.register_template(kept).value();
    rt.start().value();
    std::cout << "diamond-" << s.width << ", " << s.tasks << " tasks per burst (" << s.repeats << " per phase), " << s.latency_tasks
              << " one at a time; worker concurrency 16, default batches; retention of the runtime at its default\n";

    // A burst and a few single tasks not counted: connections, prepared statements and the
    // server's caches warm up before the first phase, as they are for the others.
    bench::burst(rt, measured, std::max(1, s.tasks / 5));
    bench::one_at_a_time(rt, measured, 10);
    measure("empty database", rt, measured, s, db.url());

    const auto sample = bench::finish(rt, rt.submit(bench::diamond_request(kept)).value().id);
    const auto seeding = steady::now();
    seed_finished(db.url(), sample.id, s.finished, s.chunk);
    {
        pqxx::connection c(db.url());
        pqxx::nontransaction tx(c);
        const auto size = tx.exec1("SELECT pg_size_pretty(pg_database_size(current_database())), "
                                   "(SELECT count(*) FROM tasker.tasks), (SELECT count(*) FROM tasker.step_transitions)");
        std::cout << "seeded " << s.finished << " finished tasks of diamond-" << s.seed_width << " in " << since(seeding)
                  << " s (vacuumed, analyzed): " << size[1].c_str() << " tasks, " << size[2].c_str()
                  << " step transitions, database " << size[0].c_str() << "\n";
    }

    measure("beside the finished tasks", rt, measured, s, db.url());
    time_analytics(rt, 5);

    // Another process's retention, deleting the clones (they finished a day or more ago) while
    // the third phase runs.
    std::atomic<bool> done{false}, finished{false};
    std::atomic<std::size_t> retired{0};
    double retention_took = 0; // written before `finished`, read after the join
    const auto retiring = steady::now();
    std::thread retention([&] {
        postgres::store other({.url = db.url(), .threads = 1});
        while (!done.load()) {
            const retention_pass pass{std::chrono::hours(1), retention_mode::remove, s.retention_batch, std::nullopt};
            auto r = detail::run_blocking(other.purge_finished(pass));
            if (!r) {
                std::cerr << "retention failed: " << r.error().what() << "\n";
                break;
            }
            retired += r->removed;
            if (!r->more)
                break;
        }
        retention_took = since(retiring);
        finished = true;
    });
    // Bursts and single tasks, alternately, for as long as retention runs (at least once).
    vacuum_queues(db.url());
    bench::hop_samples hops;
    double steps = 0, busy = 0;
    int bursts = 0;
    do {
        const auto b = bench::burst(rt, measured, s.tasks);
        steps += b.steps_per_second * b.seconds;
        busy += b.seconds;
        ++bursts;
        const auto h = bench::one_at_a_time(rt, measured, s.latency_tasks);
        hops.to_worker_us.insert(hops.to_worker_us.end(), h.to_worker_us.begin(), h.to_worker_us.end());
        hops.to_orchestrator_us.insert(hops.to_orchestrator_us.end(), h.to_orchestrator_us.begin(),
                                       h.to_orchestrator_us.end());
        hops.task_us.insert(hops.task_us.end(), h.task_us.begin(), h.task_us.end());
    } while (!finished.load());
    done = true;
    retention.join();
    bench::burst_figures f;
    f.seconds = busy;
    f.steps_per_second = steps / busy;
    std::cout << bursts << " bursts while retention ran\n";
    report("while retention deletes them", f, hops);
    std::cout << "retention: " << retired.load() << " tasks deleted in " << retention_took << " s ("
              << static_cast<long>(static_cast<double>(retired.load()) / retention_took) << " tasks/s, batches of "
              << s.retention_batch << ")\n";
    rt.stop(std::chrono::seconds(1));
    return 0;
}
