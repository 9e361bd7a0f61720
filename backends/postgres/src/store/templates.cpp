#include "store/store_state.hpp"
#include "template_json.hpp"

#include <tasker/model/template_registry.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>
#include <string>

// Templates: registered once per (namespace, name, version), never changed after; the rows read
// are cached for good.

namespace tasker::postgres {

using namespace detail;

namespace {

/// The identity of a template version: its precedence (build metadata takes no part).
std::string version_key(const semver& v)
{
    auto s = std::to_string(v.major) + '.' + std::to_string(v.minor) + '.' + std::to_string(v.patch);
    if (!v.prerelease.empty())
        s += '-' + v.prerelease;
    return s;
}

constexpr statement template_row{"tasker_template_row",
                                 "SELECT definition::text, effective_retry::text FROM tasker.templates WHERE id = $1"};
constexpr statement template_versions{
    "tasker_template_versions",
    "SELECT id, version FROM tasker.templates WHERE namespace_name = $1 AND name = $2 ORDER BY id"};

} // namespace

awaitable<result<template_ptr>> store::register_template(task_template t)
{
    if (t.steps.empty() || t.graph.size() != t.steps.size())
        co_return error{errc::invalid_template,
                        "template '" + t.key().to_string() + "' was not validated (call validate_template first)"};
    auto queue = worker_queue(t.namespace_name);
    if (!queue)
        co_return queue.error();
    const auto definition = json::serialize(definition_json(t));
    const auto policies = json::serialize(effective_retry_json(t));
    // What is stored must read back as the same template, or another process would run
    // something else under this key.
    if (auto back = template_from_json(definition, policies, impl_->config.creation); !back || !same_definition(*back, t))
        co_return error{errc::invalid_template, "template '" + t.key().to_string() +
                                                    "' cannot be stored faithfully: " +
                                                    (back ? std::string("it reads back differently") : back.error().what())};

    static constexpr statement insert{
        "tasker_insert_template",
        "INSERT INTO tasker.templates (namespace_name, name, version, definition, effective_retry) "
        "VALUES ($1, $2, $3, $4::json, $5::json) ON CONFLICT (namespace_name, name, version) DO NOTHING "
        "RETURNING id"};
    static constexpr statement existing{
        "tasker_existing_template",
        "SELECT id FROM tasker.templates WHERE namespace_name = $1 AND name = $2 AND version = $3"};
    static constexpr statement create_queue{"tasker_create_queue", "SELECT pgmq.create($1)"};

    auto op = [impl = impl_.get(), t = std::move(t), definition, policies,
               worker = queue->str()](pqxx::connection& c) mutable -> result<template_ptr> {
        pqxx::work tx(c);
        const auto version = version_key(t.version);
        const auto inserted = exec(tx, insert, t.namespace_name, t.name, version, definition, policies);
        if (!inserted.empty()) {
            // The queues its tasks send to exist from now on, whoever starts first. (With the
            // outbox route the broker is elsewhere: its relay's sends create them there.)
            if (impl->config.route == message_route::pgmq) {
                exec(tx, create_queue, worker);
                exec(tx, create_queue, orchestration_queue().str());
            }
            tx.commit();
            auto ptr = std::make_shared<const task_template>(std::move(t));
            impl->remember(inserted[0][0].as<std::int64_t>(), ptr);
            return template_ptr(ptr);
        }
        const auto row = exec(tx, existing, t.namespace_name, t.name, version);
        if (row.empty())
            return error{errc::state_conflict, "template '" + t.key().to_string() + "' vanished while registering it"};
        auto stored = impl->template_by_id(tx, row[0][0].as<std::int64_t>());
        if (!stored)
            return stored.error();
        if (same_definition(**stored, t))
            return *stored;
        return error{errc::template_conflict, "template '" + t.key().to_string() +
                                                  "' is already registered with a different definition; templates "
                                                  "are immutable per version, so publish the change under a new version"};
    };
    co_return co_await impl_->run<template_ptr>(std::move(op), "register_template");
}

awaitable<result<template_ptr>> store::find_template(template_ref ref)
{
    auto op = [impl = impl_.get(), ref = std::move(ref)](pqxx::connection& c) -> result<template_ptr> {
        pqxx::read_transaction tx(c);
        auto found = impl->find_template(tx, ref);
        if (!found)
            return found.error();
        return found->second;
    };
    co_return co_await impl_->run<template_ptr>(std::move(op), "find_template");
}

awaitable<result<std::vector<template_ptr>>> store::list_templates()
{
    static constexpr statement all{"tasker_all_templates", "SELECT id FROM tasker.templates ORDER BY id"};
    auto op = [impl = impl_.get()](pqxx::connection& c) -> result<std::vector<template_ptr>> {
        pqxx::read_transaction tx(c);
        std::vector<std::int64_t> ids;
        for (const auto& row : exec(tx, all))
            ids.push_back(row[0].as<std::int64_t>());
        if (auto cached = impl->cache_templates(tx, ids); !cached)
            return cached.error();
        std::vector<template_ptr> out;
        for (auto id : ids) {
            auto t = impl->template_by_id(tx, id);
            if (!t)
                return t.error();
            out.push_back(std::move(*t));
        }
        std::sort(out.begin(), out.end(), [](const template_ptr& a, const template_ptr& b) { return a->key() < b->key(); });
        return out;
    };
    co_return co_await impl_->run<std::vector<template_ptr>>(std::move(op), "list_templates");
}

void store::impl::remember(std::int64_t id, const template_ptr& t)
{
    std::lock_guard lock(templates_mutex);
    templates_by_id.emplace(id, t);
    template_ids.emplace(t->key(), id);
}

result<template_ptr> store::impl::template_by_id(pqxx::transaction_base& tx, std::int64_t id)
{
    {
        std::lock_guard lock(templates_mutex);
        if (auto it = templates_by_id.find(id); it != templates_by_id.end())
            return it->second;
    }
    const auto rows = exec(tx, template_row, id);
    if (rows.empty())
        return error{errc::template_not_found, "no template row " + std::to_string(id)};
    auto t = template_from_json(rows[0][0].c_str(), rows[0][1].c_str(), config.creation);
    if (!t)
        return t.error();
    auto ptr = std::make_shared<const task_template>(std::move(*t));
    remember(id, ptr);
    return ptr;
}

result<void> store::impl::cache_templates(pqxx::transaction_base& tx, std::vector<std::int64_t> wanted)
{
    static constexpr statement rows_of{
        "tasker_template_rows",
        "SELECT id, definition::text, effective_retry::text FROM tasker.templates WHERE id = ANY($1::bigint[])"};
    {
        std::lock_guard lock(templates_mutex);
        std::erase_if(wanted, [&](std::int64_t id) { return templates_by_id.contains(id); });
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    if (wanted.empty())
        return {};
    std::string array = "{";
    for (std::size_t i = 0; i < wanted.size(); ++i)
        array += (i ? "," : "") + std::to_string(wanted[i]);
    array += "}";
    for (const auto& row : exec(tx, rows_of, array)) {
        auto t = template_from_json(row[1].c_str(), row[2].c_str(), config.creation);
        if (!t)
            return t.error();
        remember(row[0].as<std::int64_t>(), std::make_shared<const task_template>(std::move(*t)));
    }
    return {};
}

result<std::pair<std::int64_t, template_ptr>> store::impl::find_template(pqxx::transaction_base& tx,
                                                                          const template_ref& ref)
{
    if (ref.version) {
        std::optional<std::int64_t> known;
        {
            std::lock_guard lock(templates_mutex);
            if (auto it = template_ids.find({ref.namespace_name, ref.name, *ref.version}); it != template_ids.end())
                known = it->second;
        }
        if (known) {
            auto t = template_by_id(tx, *known);
            if (!t)
                return t.error();
            return std::pair{*known, *t};
        }
    }
    // Every version of the template: few rows. The newest is chosen here, by semver
    // precedence, which SQL cannot order by.
    const auto rows = exec(tx, template_versions, ref.namespace_name, ref.name);
    std::optional<std::pair<std::int64_t, semver>> chosen;
    std::string versions;
    for (const auto& row : rows) {
        auto v = semver::parse(row[1].c_str());
        if (!v)
            return error{errc::database_error, "tasker.templates holds an unreadable version: " + v.error().what()};
        versions += (versions.empty() ? "" : ", ") + v->to_string();
        const bool pick = ref.version ? *v == *ref.version : !chosen || *v > chosen->second;
        if (pick)
            chosen = std::pair{row[0].as<std::int64_t>(), *v};
    }
    if (rows.empty())
        return error{errc::template_not_found,
                     "no template '" + ref.name + "' in namespace '" + ref.namespace_name + "'"};
    if (!chosen)
        return error{errc::version_not_found, "template '" + ref.namespace_name + "/" + ref.name + "' has no version " +
                                                  ref.version->to_string() + " (registered: " + versions + ")"};
    auto t = template_by_id(tx, chosen->first);
    if (!t)
        return t.error();
    return std::pair{chosen->first, *t};
}

result<void> store::impl::load_templates(pqxx::transaction_base& tx, std::vector<task_row*> rows)
{
    std::vector<std::int64_t> ids;
    for (const auto* t : rows)
        ids.push_back(t->template_id);
    if (auto cached = cache_templates(tx, std::move(ids)); !cached)
        return cached;
    for (auto* t : rows) {
        auto tmpl = template_by_id(tx, t->template_id);
        if (!tmpl)
            return tmpl.error();
        // One row per template step, and batch workers' rows after them.
        const auto rows_expected = (*tmpl)->steps.size();
        if ((*tmpl)->dynamic ? t->steps.size() < rows_expected : t->steps.size() != rows_expected)
            return error{errc::database_error, "task " + t->id.to_string() + " has " +
                                                   std::to_string(t->steps.size()) + " step rows, its template " +
                                                   std::to_string(rows_expected) + " steps"};
        t->tmpl = std::move(*tmpl);
    }
    return {};
}

} // namespace tasker::postgres
