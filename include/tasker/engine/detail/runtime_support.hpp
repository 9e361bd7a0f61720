#pragma once
// What every runtime (inmemory::runtime, postgres::runtime<B>) does the same way around the
// engine: deciding which namespaces a worker serves, reporting how an engine coroutine ended,
// and waiting for a shutdown signal.

#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/shutdown_signals.hpp>
#include <tasker/error.hpp>
#include <tasker/logger.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/time.hpp>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <exception>
#include <set>
#include <string>
#include <vector>

namespace tasker::detail {

/// Fills an empty `namespaces` with every namespace of `templates`, then checks that each
/// served template has its handlers (`errc::unknown_handler`), so `start()` reports it at once.
inline result<void> choose_served_namespaces(std::vector<std::string>& namespaces,
                                             const std::vector<template_ptr>& templates,
                                             const handler_registry& handlers)
{
    if (namespaces.empty()) {
        std::set<std::string> all;
        for (const auto& t : templates)
            all.insert(t->namespace_name);
        namespaces.assign(all.begin(), all.end());
    }
    if (namespaces.empty())
        return error{errc::template_not_found, "register at least one template before start()"};
    for (const auto& t : templates)
        if (std::find(namespaces.begin(), namespaces.end(), t->namespace_name) != namespaces.end())
            if (auto ok = handlers.check(*t); !ok)
                return ok.error();
    return {};
}

/// A co_spawn completion that logs how engine component `who` ended, if not cleanly.
inline auto log_exit(logger log, const char* who)
{
    return [log, who](std::exception_ptr e, result<void> r) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log.error("component={} event=crashed error=\"{}\"", who, ex.what());
            }
        } else if (!r) {
            log.error("component={} event=failed error=\"{}\"", who, r.error().what());
        }
    };
}

/// Blocks until SIGINT or SIGTERM (logging both the wait and the signal).
inline void wait_for_shutdown_signal(const logger& log, duration grace)
{
    asio::io_context io;
    shutdown_signals signals(io.get_executor(), [&](int signo) {
        log.info("event=signal signal={} grace_ms={}", signo, std::chrono::duration_cast<milliseconds>(grace).count());
        io.stop();
    });
    // From here on a SIGINT or SIGTERM is ours, even before io.run() starts.
    log.info("event=waiting_for_signal signals=SIGINT,SIGTERM");
    io.run();
}

} // namespace tasker::detail
