// diamond-N on the in-memory backend: an orchestrator thread (which also submits, keeping a
// bounded number of tasks in flight) and a worker thread (handlers inline: they do nothing). Reports steps/s and per-hop latency; a second run with one task in flight at a
// time measures the latency of an idle system.
#include "diamond_shape.hpp"

#include <tasker/detail/run_blocking.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/runtime.hpp>
#include <tasker/inmemory/store.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>
#include <thread>

using namespace tasker;

namespace {

struct settings {
    int tasks = 200'000;
    int width = 8;
    int window = 20'000;
    std::size_t batch = 256;
    int sample_every = 50;
    std::size_t retain = std::numeric_limits<std::size_t>::max();
};

struct outcome {
    double seconds = 0;
    double steps_per_second = 0;
    bench::hop_samples hops;
};

outcome run(const settings& s)
{
    inmemory::broker broker;
    inmemory::store store(broker, {}, {.seed = 1, .retain_finished = s.retain});
    const auto tmpl = store.register_template_sync(bench::diamond_template(s.width)).value();
    handler_registry handlers;
    handlers.add("bench.noop", [](step_context&) { return success(); });

    asio::io_context orchestrator_io, worker_io;
    orchestrator<inmemory::store, inmemory::broker> orch(orchestrator_io.get_executor(), store, broker,
                                                         {.batch_size = s.batch});
    worker<inmemory::store, inmemory::broker> work(worker_io.get_executor(), store, broker, handlers,
                                                   {.namespaces = {"bench"},
                                                    .concurrency = s.batch * 2,
                                                    .batch_size = s.batch,
                                                    .execution = handler_execution::inline_on_worker});
    asio::co_spawn(orchestrator_io, orch.run(), asio::detached);
    asio::co_spawn(worker_io, work.run(), asio::detached);

    // The submitter is a coroutine on the orchestrator's thread: two threads in all, one
    // per core. It keeps up to `window` tasks in flight, creating them in bulk.
    std::vector<task_id> sampled;
    const auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point end;
    asio::co_spawn(
        orchestrator_io,
        [&]() -> awaitable<void> {
            int submitted = 0;
            // With bounded retention only the last tasks stay readable: sample among those.
            const int sample_from = s.tasks - static_cast<int>(std::min<std::size_t>(s.retain / 2, s.tasks));
            while (true) {
                const auto seen = store.version();
                const auto done = static_cast<int>(store.finished_total());
                if (done == s.tasks)
                    break;
                int room = std::min(s.window - (submitted - done), s.tasks - submitted);
                if (room < std::min(s.window / 4, s.tasks - submitted) || room <= 0) {
                    co_await store.wait_for_change(seen, time_point::max());
                    continue;
                }
                std::vector<new_task> batch(static_cast<std::size_t>(room), new_task{tmpl, nullptr, {}, {}});
                for (const auto& created : store.create_tasks_sync(batch).value())
                    if (submitted++ % s.sample_every == 0 && submitted > sample_from)
                        sampled.push_back(created.id);
            }
            end = std::chrono::steady_clock::now();
            work.stop();
            orch.stop();
        },
        asio::detached);
    std::thread t2([&] { worker_io.run(); });
    orchestrator_io.run();
    t2.join();
    const double seconds = std::chrono::duration<double>(end - start).count();

    outcome o;
    o.seconds = seconds;
    o.steps_per_second = s.tasks * (s.width + 2.0) / seconds;
    for (const auto& id : sampled)
        if (auto t = store.get_task_sync(id)) // evicted when retention is bounded
            o.hops.add(*t);
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"diamond-N throughput and per-hop latency on the in-memory backend"};
    settings s;
    int latency_tasks = 2000;
    app.add_option("--tasks", s.tasks, "Tasks in the throughput run");
    app.add_option("--width", s.width, "Parallel middle steps of the diamond (N)");
    app.add_option("--window", s.window, "Most tasks in flight at once");
    app.add_option("--batch", s.batch, "Messages per read for orchestrator and worker");
    app.add_option("--latency-tasks", latency_tasks, "Tasks in the one-at-a-time latency run (0: skip)");
    app.add_option("--retain", s.retain, "Finished tasks the store keeps readable (default: all)");
    CLI11_PARSE(app, argc, argv);

    std::cout << fmt::format("in-memory diamond-{}: {} tasks ({} steps), window {}, batch {}, retain {}, {} hardware "
                             "threads\n",
                             s.width, s.tasks, s.tasks * (s.width + 2), s.window, s.batch,
                             s.retain == std::numeric_limits<std::size_t>::max() ? std::string("all")
                                                                                 : std::to_string(s.retain),
                             std::thread::hardware_concurrency());
    const auto busy = run(s);
    std::cout << fmt::format("throughput: {:.0f} steps/s ({:.3f} s)\n", busy.steps_per_second, busy.seconds)
              << "  under load: " << bench::describe(busy.hops) << "\n";
    if (latency_tasks > 0) {
        settings idle = s;
        idle.tasks = latency_tasks;
        idle.window = 1;
        idle.sample_every = 1;
        const auto quiet = run(idle);
        std::cout << "  one task at a time: " << bench::describe(quiet.hops) << "\n";
    }
}
