#pragma once

#include <tasker/error.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/template_key.hpp>

#include <map>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace tasker {

/// Validated templates keyed by (namespace, name, version). Thread-safe.
///
/// Templates are immutable per key: registering the same key again with the same content
/// is a no-op, with different content it is `errc::template_conflict`. A running task keeps
/// the `template_ptr` it started with, whatever is registered later.
class template_registry {
public:
    /// Registers a template that went through `validate_template` (its graph is built).
    result<template_ptr> add(task_template t);

    /// The exact version if `ref.version` is set, otherwise the newest version.
    /// `errc::template_not_found` names the namespace and template;
    /// `errc::version_not_found` lists the versions that exist.
    result<template_ptr> find(const template_ref& ref) const;

    std::vector<template_ptr> all() const;

private:
    mutable std::shared_mutex mutex_;
    std::map<template_key, template_ptr> templates_;
};

/// True if two templates define the same workflow (used to accept idempotent re-registration).
/// What is kept only for people (`metadata`, `loaded_from`) takes no part.
bool same_definition(const task_template& a, const task_template& b);

} // namespace tasker
