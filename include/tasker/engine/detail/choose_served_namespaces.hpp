#pragma once

#include <tasker/engine/handler_registry.hpp>
#include <tasker/error.hpp>
#include <tasker/model/task_template.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace tasker::detail {

/// What a runtime (inmemory::runtime, postgres::runtime<B>) does before it starts a worker:
/// fills an empty `namespaces` with every namespace of `templates`, then checks that each
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

} // namespace tasker::detail
