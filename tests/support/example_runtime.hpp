#pragma once
// An embedded runtime loaded with the example templates and handlers, for lifecycle tests.

#include "handlers/math_handlers.hpp"
#include "handlers/order_handlers.hpp"

#include <tasker/detail/run_blocking.hpp>
#include <tasker/inmemory/runtime.hpp>

#include "support/catch.hpp"

#include <string>

namespace tasker::test {

inline std::string example_template_path(const std::string& name)
{
    return std::string(TASKER_EXAMPLES_DIR) + "/templates/" + name + ".yaml";
}

inline inmemory::runtime_options fast_options()
{
    inmemory::runtime_options o;
    o.worker.concurrency = 8;
    o.worker.poll_interval = std::chrono::milliseconds(200);
    o.orchestrator.poll_interval = std::chrono::milliseconds(200);
    return o;
}

/// Registers every example handler and template on `rt` (any runtime: embedded or PostgreSQL).
template <class Runtime>
void load_examples(Runtime& rt)
{
    examples::register_math_handlers(rt.handlers());
    examples::register_order_handlers(rt.handlers());
    for (const char* name :
         {"linear_workflow", "diamond_workflow", "tree_workflow", "mixed_dag_workflow", "order_fulfillment"}) {
        auto t = rt.load_template_file(example_template_path(name));
        if (!t)
            FAIL("cannot load " << name << ": " << t.error());
    }
}

/// Submits example `name` and waits (up to `timeout`) for it to finish.
template <class Runtime>
task_view run_example(Runtime& rt, const std::string& name, json::value context, duration timeout)
{
    auto created = rt.submit({{"examples", name, std::nullopt}, std::move(context), {}, {}});
    REQUIRE(created);
    auto t = rt.wait(created->id, timeout);
    REQUIRE(t);
    return std::move(*t);
}

/// An embedded runtime with every example template and handler; call start() after adding more.
struct example_runtime {
    inmemory::runtime rt;

    explicit example_runtime(inmemory::runtime_options o = fast_options()) : rt(std::move(o)) { load_examples(rt); }

    task_view run(const std::string& name, json::value context)
    {
        return run_example(rt, name, std::move(context), std::chrono::seconds(30));
    }
};

} // namespace tasker::test
