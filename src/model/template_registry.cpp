#include <tasker/model/template_registry.hpp>

#include <iterator>
#include <string>

namespace tasker {

namespace {

bool same_step(const step_template& a, const step_template& b)
{
    return a.name == b.name && a.description == b.description && a.type == b.type &&
           a.handler.callable == b.handler.callable && a.handler.method == b.handler.method &&
           a.handler.resolver == b.handler.resolver && a.handler.initialization == b.handler.initialization &&
           a.dependencies == b.dependencies && a.retry == b.retry && a.timeout == b.timeout &&
           a.lifecycle == b.lifecycle && a.batch == b.batch && a.result_schema == b.result_schema;
}

bool same_lifecycle(const lifecycle_limits& a, const lifecycle_limits& b)
{
    return a.max_duration == b.max_duration && a.max_waiting_for_dependencies == b.max_waiting_for_dependencies &&
           a.max_waiting_for_retry == b.max_waiting_for_retry && a.max_steps_in_process == b.max_steps_in_process &&
           a.action == b.action;
}

} // namespace

bool same_definition(const task_template& a, const task_template& b)
{
    if (a.key() != b.key() || a.description != b.description ||
        a.input_schema != b.input_schema || a.retry != b.retry || !same_lifecycle(a.lifecycle, b.lifecycle) ||
        a.identity != b.identity || a.steps.size() != b.steps.size())
        return false;
    for (std::size_t i = 0; i < a.steps.size(); ++i)
        if (!same_step(a.steps[i], b.steps[i]) || a.steps[i].effective_retry != b.steps[i].effective_retry)
            return false;
    return true;
}

result<template_ptr> template_registry::add(task_template t)
{
    if (t.steps.empty() || t.graph.size() != t.steps.size())
        return error{errc::invalid_template,
                     "template '" + t.key().to_string() + "' was not validated (call validate_template first)"};
    auto key = t.key();
    std::unique_lock lock(mutex_);
    if (auto it = templates_.find(key); it != templates_.end()) {
        if (same_definition(*it->second, t))
            return it->second;
        return error{errc::template_conflict,
                     "template '" + key.to_string() +
                         "' is already registered with a different definition; templates are immutable per "
                         "version, so publish the change under a new version"};
    }
    auto ptr = std::make_shared<const task_template>(std::move(t));
    templates_.emplace(std::move(key), ptr);
    return ptr;
}

result<template_ptr> template_registry::find(const template_ref& ref) const
{
    std::shared_lock lock(mutex_);
    // Keys order by namespace, name, then version: one template's versions are contiguous.
    const template_key first{ref.namespace_name, ref.name, semver{}};
    auto it = templates_.lower_bound(first);
    // semver{} is 0.0.0 with no prerelease, but prereleases of 0.0.0 sort below it: step back.
    while (it != templates_.begin()) {
        auto prev = std::prev(it);
        if (prev->first.namespace_name != ref.namespace_name || prev->first.name != ref.name)
            break;
        it = prev;
    }
    template_ptr newest;
    std::string versions;
    for (; it != templates_.end() && it->first.namespace_name == ref.namespace_name && it->first.name == ref.name;
         ++it) {
        if (ref.version && it->first.version == *ref.version) // build metadata takes no part
            return it->second;
        newest = it->second;
        versions += (versions.empty() ? "" : ", ") + it->first.version.to_string();
    }
    if (!newest)
        return error{errc::template_not_found,
                     "no template '" + ref.name + "' in namespace '" + ref.namespace_name + "'"};
    if (!ref.version)
        return newest;
    return error{errc::version_not_found, "template '" + ref.namespace_name + "/" + ref.name + "' has no version " +
                                              ref.version->to_string() + " (registered: " + versions + ")"};
}

std::vector<template_ptr> template_registry::all() const
{
    std::shared_lock lock(mutex_);
    std::vector<template_ptr> out;
    out.reserve(templates_.size());
    for (const auto& [key, t] : templates_)
        out.push_back(t);
    return out;
}

} // namespace tasker
