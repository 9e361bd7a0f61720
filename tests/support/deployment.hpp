#pragma once
// Deployments a lifecycle suite runs on: one runtime with fast test settings. The embedded one
// is here; PostgreSQL with each broker in support/postgres_deployment.hpp. Every deployment has
// `rt` (a runtime: the same surface whatever the backend) and a `name` for test names.

#include "support/example_runtime.hpp"

#include <optional>

namespace tasker::test {

struct deployment_settings {
    /// The worker's step lease (heartbeats every third of it).
    duration lease = std::chrono::seconds(10);
    /// When set: the retry backoff base of templates loaded without their own, jitter off.
    std::optional<std::chrono::milliseconds> retry_base;

    /// When set (not zero): the client's cap on a context and the worker's on a step result.
    std::size_t max_context_bytes = 0;
    std::size_t max_result_bytes = 0;
    /// When set: the runtime's logger (a test may act on what it logs).
    std::optional<logger> log;
    /// When set: virtual time for the orchestrator (the whole runtime, when embedded), which
    /// then judges staleness and retention by it.
    std::optional<any_clock> clock;
    /// When set: the orchestrator's staleness passes.
    std::optional<staleness_config> staleness;
    /// When set: the orchestrator's retention passes.
    std::optional<retention_config> retention;

    /// Applies every setting to the options of a runtime (embedded or PostgreSQL).
    template <class Options>
    void apply(Options& o) const
    {
        o.worker.lease = lease;
        if (retry_base) {
            o.templates.retry_defaults.base = *retry_base;
            o.templates.retry_defaults.jitter = 0.0;
        }
        if (max_context_bytes)
            o.client.max_context_bytes = max_context_bytes;
        if (max_result_bytes)
            o.worker.max_result_bytes = max_result_bytes;
        if (log)
            o.log = *log;
        if (staleness)
            o.orchestrator.staleness = *staleness;
        if (retention)
            o.orchestrator.retention = *retention;
        if (clock) {
            if constexpr (requires { o.orchestrator_clock; })
                o.orchestrator_clock = *clock;
            else
                o.clock = *clock;
            o.orchestrator.staleness.use_orchestrator_clock = true;
            o.orchestrator.retention.use_orchestrator_clock = true;
        }
    }
};

struct inmemory_deployment {
    static constexpr const char* name = "in-memory";

    explicit inmemory_deployment(deployment_settings s = {}) : rt(options(s)) {}

    static inmemory::runtime_options options(deployment_settings s)
    {
        auto o = fast_options();
        s.apply(o);
        return o;
    }

    inmemory::runtime rt;
};

} // namespace tasker::test

/// One case of a lifecycle suite: runs `fn<Deployment>()` in a test case named
/// "<kind> (<deployment name>): <title>" (`kind` and `title` are string literals).
#define TASKER_DEPLOYMENT_CASE(Deployment, tags, kind, fn, title)                                                    \
    TEST_CASE(std::string(kind " (") + Deployment::name + "): " title, tags)                                         \
    {                                                                                                                \
        fn<Deployment>();                                                                                            \
    }
