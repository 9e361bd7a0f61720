#include <tasker/postgres/store.hpp>

#include "store_impl.hpp"
#include "template_json.hpp"

#include <tasker/model/template_registry.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>

// Templates, task creation and the queries. The worker and orchestrator side (claims, leases,
// results, orchestration events, operator actions) is in store_flow.cpp, what they share in
// store_impl.cpp.
//
// Every statement runs in a named lambda moved into `run`: g++ 12 destroys a temporary built
// inside a co_await's argument list twice.

namespace tasker::postgres {

static_assert(task_store<store>);

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

} // namespace

store::store(store_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

store::~store() = default;

const store_config& store::config() const noexcept { return impl_->config; }

// ---------------------------------------------------------------------------------------
// Templates

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
    if (auto back = template_from_json(definition, policies); !back || !same_definition(*back, t))
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

// ---------------------------------------------------------------------------------------
// Tasks

awaitable<result<task_created>> store::create_task(new_task nt)
{
    std::vector<new_task> one;
    one.push_back(std::move(nt));
    auto created = co_await create_tasks(std::move(one));
    if (!created)
        co_return created.error();
    co_return created->front();
}

awaitable<result<std::vector<task_created>>> store::create_tasks(std::vector<new_task> batch)
{
    // One statement per table for the whole batch. The tasks' rows share the time of the
    // insert, which the history of their start takes too.
    static constexpr statement insert_tasks{
        "tasker_insert_tasks",
        "INSERT INTO tasker.tasks (id, template_id, state, context, identity_key, correlation_id, created_at, updated_at) "
        "SELECT n.id, n.template_id, n.state, n.context::json, n.identity_key, n.correlation_id, stamp.at, stamp.at "
        "FROM jsonb_to_recordset($1::jsonb) AS n(ord integer, id uuid, template_id bigint, state tasker.task_state, "
        "context text, identity_key text, correlation_id text), (SELECT clock_timestamp() AS at) AS stamp "
        "ORDER BY n.ord "
        "ON CONFLICT (template_id, identity_key) WHERE identity_key <> '' DO NOTHING "
        "RETURNING id, (extract(epoch FROM created_at) * 1000000)::bigint"};
    static constexpr statement identified_tasks{
        "tasker_identified_tasks",
        "SELECT n.ord, t.id FROM jsonb_to_recordset($1::jsonb) AS n(ord integer, template_id bigint, identity_key text) "
        // `<> ''` lets the partial index tasks_identity serve the lookup.
        "JOIN tasker.tasks AS t ON t.template_id = n.template_id AND t.identity_key = n.identity_key "
        "AND t.identity_key <> ''"};
    static constexpr statement insert_steps{
        "tasker_insert_step_rows",
        "INSERT INTO tasker.steps (task_id, idx, state) "
        "SELECT n.task, s.n - 1, s.state::tasker.step_state "
        "FROM jsonb_to_recordset($1::jsonb) AS n(task uuid, states jsonb), "
        "jsonb_array_elements_text(n.states) WITH ORDINALITY AS s(state, n)"};

    std::vector<task_id> ids(batch.size());
    std::vector<std::uint64_t> randoms(batch.size());
    for (std::size_t k = 0; k < batch.size(); ++k) {
        ids[k] = impl_->next_id();
        randoms[k] = impl_->next_random();
    }
    auto op = [impl = impl_.get(), batch = std::move(batch), ids = std::move(ids),
               randoms = std::move(randoms)](pqxx::connection& c) -> result<std::vector<task_created>> {
        const auto n = batch.size();
        auto refuse = [n](error e, std::size_t k) { return in_batch(std::move(e), k, n); };
        write_transaction tx(c);
        tx.begin_with({});

        // Each task starts in memory through the decision core; its rows are then inserted as
        // they end up, with the history and messages of the start.
        std::vector<task_row> rows(n);
        std::vector<decision> starts(n);
        json::array task_rows;
        for (std::size_t k = 0; k < n; ++k) {
            const auto& nt = batch[k];
            if (!nt.tmpl)
                return refuse(error{errc::template_not_found, "new_task has no template"}, k);
            auto found = impl->find_template(tx.statements(), {nt.tmpl->namespace_name, nt.tmpl->name, nt.tmpl->version});
            if (!found)
                return refuse(found.error(), k);
            auto& [template_id, tmpl] = *found;
            if (auto q = worker_queue(tmpl->namespace_name); !q)
                return refuse(q.error(), k);
            auto& t = rows[k];
            t.id = ids[k];
            t.template_id = template_id;
            t.tmpl = tmpl;
            t.is_new = true;
            t.correlation_id = nt.correlation_id;
            t.status.resize(tmpl->steps.size());
            t.steps.resize(tmpl->steps.size());
            if (auto r = decide(*tmpl, t.id, t.state, t.status, input::start{}, randoms[k], starts[k]); !r)
                return refuse(r.error(), k);
            // The state the start ends in goes in with the row.
            task_state final_state = t.state;
            for (const auto& ch : starts[k].task_changes)
                final_state = ch.to;
            task_rows.push_back(json::object{
                {"ord", k},
                {"id", t.id.to_string()},
                {"template_id", template_id},
                {"state", name_of(final_state)},
                {"context", json::serialize(nt.context ? *nt.context : json::value(json::object{}))},
                {"identity_key", nt.identity_key},
                {"correlation_id", nt.correlation_id}});
        }

        std::map<task_id, std::int64_t> inserted;
        for (const auto& row : exec(tx.statements(), insert_tasks, json::serialize(task_rows)))
            inserted.emplace(parse_uuid(row[0]), row[1].as<std::int64_t>());
        std::vector<task_created> out(n);
        changeset cs(inserted.empty() ? 0 : inserted.begin()->second, impl->config.route);
        json::array step_rows;
        json::array existing; // identity keys that named a task already there
        for (std::size_t k = 0; k < n; ++k) {
            auto& t = rows[k];
            if (!inserted.contains(t.id)) {
                existing.push_back(json::object{
                    {"ord", k}, {"template_id", t.template_id}, {"identity_key", batch[k].identity_key}});
                continue;
            }
            cs.apply(t, starts[k]);
            json::array states;
            for (const auto& s : t.status)
                states.emplace_back(to_string(s.state));
            step_rows.push_back(json::object{{"task", t.id.to_string()}, {"states", std::move(states)}});
            out[k] = task_created{t.id, true};
        }
        if (!existing.empty()) {
            std::vector<bool> found(n, false);
            for (const auto& row : exec(tx.statements(), identified_tasks, json::serialize(existing))) {
                const auto k = row[0].as<std::size_t>();
                out[k] = task_created{parse_uuid(row[1]), false};
                found[k] = true;
            }
            for (const auto& e : existing)
                if (const auto k = e.as_object().at("ord").to_number<std::size_t>(); !found[k])
                    return refuse(error{errc::state_conflict, "a task with identity key '" + batch[k].identity_key +
                                                                  "' vanished"},
                                  k);
        }
        if (!step_rows.empty())
            exec(tx.statements(), insert_steps, json::serialize(step_rows));
        commit(tx, cs, {});
        return out;
    };
    co_return co_await impl_->run<std::vector<task_created>>(std::move(op), "create_tasks");
}

// ---------------------------------------------------------------------------------------
// Queries

awaitable<result<task_view>> store::get_task(task_id id)
{
    static constexpr statement task{
        "tasker_view_task",
        "SELECT template_id, state, context::text, identity_key, correlation_id, "
        "(extract(epoch FROM created_at) * 1000000)::bigint, (extract(epoch FROM updated_at) * 1000000)::bigint "
        "FROM tasker.tasks WHERE id = $1::uuid"};
    static constexpr statement steps{
        "tasker_view_steps",
        "SELECT idx, state, attempts, result::text, error_kind, error_message, error_attempt, retry_after_us "
        "FROM tasker.steps WHERE task_id = $1::uuid ORDER BY idx"};
    // Both histories in the order they were made, numbered from 1 per task.
    static constexpr statement history{
        "tasker_view_history",
        "SELECT h.idx, h.attempt, h.from_state, h.to_state, h.event, h.at_us FROM ("
        " SELECT seq, NULL::integer AS idx, NULL::integer AS attempt, from_state::text, to_state::text, event::text,"
        "  (extract(epoch FROM at) * 1000000)::bigint AS at_us FROM tasker.task_transitions WHERE task_id = $1::uuid"
        " UNION ALL"
        " SELECT seq, idx, attempt, from_state::text, to_state::text, event::text,"
        "  (extract(epoch FROM at) * 1000000)::bigint FROM tasker.step_transitions WHERE task_id = $1::uuid"
        ") AS h ORDER BY h.seq"};

    auto op = [impl = impl_.get(), id](pqxx::connection& c) -> result<task_view> {
        // One snapshot for the three reads: a view never mixes two moments of the task.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
        const auto key = id.to_string();
        const auto rows = exec(tx, task, key);
        if (rows.empty())
            return error{errc::task_not_found, "no task " + key};
        const auto& row = rows[0];
        auto tmpl = impl->template_by_id(tx, row[0].as<std::int64_t>());
        if (!tmpl)
            return tmpl.error();
        task_view v;
        v.id = id;
        v.tmpl = *tmpl;
        v.state = task_state_from_string(row[1].c_str()).value();
        v.context = parse_json_field(row[2]);
        v.identity_key = row[3].c_str();
        v.correlation_id = row[4].c_str();
        v.created_at = from_us(row[5].as<std::int64_t>());
        v.updated_at = from_us(row[6].as<std::int64_t>());
        for (const auto& s : exec(tx, steps, key)) {
            step_view sv;
            sv.index = s[0].as<std::uint32_t>();
            sv.name = sv.index < v.tmpl->steps.size() ? v.tmpl->steps[sv.index].name : std::string();
            sv.state = step_state_from_string(s[1].c_str()).value();
            sv.attempts = s[2].as<std::uint32_t>();
            sv.result = parse_json_field(s[3]);
            if (!s[4].is_null()) {
                step_failure f;
                f.kind = error_kind_from_string(s[4].c_str()).value();
                f.message = s[5].is_null() ? std::string() : std::string(s[5].c_str());
                f.attempt = s[6].is_null() ? 0 : s[6].as<std::uint32_t>();
                if (!s[7].is_null())
                    f.retry_after = std::chrono::microseconds(s[7].as<std::int64_t>());
                sv.last_error = std::move(f);
            }
            v.steps.push_back(std::move(sv));
        }
        std::uint32_t seq = 0;
        for (const auto& h : exec(tx, history, key)) {
            const auto at = from_us(h[5].as<std::int64_t>());
            if (h[0].is_null())
                v.task_transitions.push_back({++seq, task_state_from_string(h[2].c_str()).value(),
                                              task_state_from_string(h[3].c_str()).value(),
                                              task_event_from_string(h[4].c_str()).value(), at});
            else
                v.step_transitions.push_back({++seq, h[0].as<std::uint32_t>(), h[1].as<std::uint32_t>(),
                                              step_state_from_string(h[2].c_str()).value(),
                                              step_state_from_string(h[3].c_str()).value(),
                                              step_event_from_string(h[4].c_str()).value(), at});
        }
        tx.commit();
        return v;
    };
    co_return co_await impl_->run<task_view>(std::move(op), "get_task");
}

awaitable<result<std::vector<task_summary>>> store::list_tasks(task_filter filter)
{
    // Newest first: v7 ids order by creation time, as in the in-memory store.
    static constexpr statement list{
        "tasker_list_tasks",
        "SELECT t.id, t.template_id, t.state, (extract(epoch FROM t.created_at) * 1000000)::bigint, "
        "(extract(epoch FROM t.updated_at) * 1000000)::bigint "
        "FROM tasker.tasks AS t JOIN tasker.templates AS tp ON tp.id = t.template_id "
        "WHERE ($1 = '' OR tp.namespace_name = $1) AND ($2 = '' OR t.state::text = $2) "
        "ORDER BY t.id DESC LIMIT $3"};
    auto op = [impl = impl_.get(), filter = std::move(filter)](pqxx::connection& c) -> result<std::vector<task_summary>> {
        pqxx::read_transaction tx(c);
        std::vector<task_summary> out;
        const auto limit = static_cast<long long>(std::min<std::size_t>(filter.limit, 1'000'000));
        const auto rows = exec(tx, list, filter.namespace_name.value_or(""),
                               filter.state ? name_of(*filter.state) : std::string(), limit);
        std::vector<std::int64_t> ids;
        for (const auto& row : rows)
            ids.push_back(row[1].as<std::int64_t>());
        if (auto cached = impl->cache_templates(tx, std::move(ids)); !cached)
            return cached.error();
        out.reserve(rows.size());
        for (const auto& row : rows) {
            auto tmpl = impl->template_by_id(tx, row[1].as<std::int64_t>());
            if (!tmpl)
                return tmpl.error();
            out.push_back({parse_uuid(row[0]), (*tmpl)->key(), task_state_from_string(row[2].c_str()).value(),
                           from_us(row[3].as<std::int64_t>()), from_us(row[4].as<std::int64_t>())});
        }
        return out;
    };
    co_return co_await impl_->run<std::vector<task_summary>>(std::move(op), "list_tasks");
}

awaitable<result<std::vector<dead_letter>>> store::dead_letters(std::size_t limit)
{
    static constexpr statement list{
        "tasker_dead_letters",
        "SELECT d.task_id, t.template_id, d.reason, d.failed_steps::text, (extract(epoch FROM d.at) * 1000000)::bigint "
        "FROM tasker.dead_letters AS d JOIN tasker.tasks AS t ON t.id = d.task_id ORDER BY d.id DESC LIMIT $1"};
    auto op = [impl = impl_.get(), limit](pqxx::connection& c) -> result<std::vector<dead_letter>> {
        pqxx::read_transaction tx(c);
        std::vector<dead_letter> out;
        const auto rows = exec(tx, list, static_cast<long long>(std::min<std::size_t>(limit, 1'000'000)));
        std::vector<std::int64_t> ids;
        for (const auto& row : rows)
            ids.push_back(row[1].as<std::int64_t>());
        if (auto cached = impl->cache_templates(tx, std::move(ids)); !cached)
            return cached.error();
        for (const auto& row : rows) {
            auto tmpl = impl->template_by_id(tx, row[1].as<std::int64_t>());
            if (!tmpl)
                return tmpl.error();
            dead_letter dl{parse_uuid(row[0]), (*tmpl)->key(), row[2].c_str(), {}, from_us(row[4].as<std::int64_t>())};
            const auto steps = parse_json_field(row[3]);
            if (steps && steps->is_array())
                for (const auto& s : steps->as_array())
                    if (s.is_string())
                        dl.failed_steps.emplace_back(s.as_string());
            out.push_back(std::move(dl));
        }
        return out;
    };
    co_return co_await impl_->run<std::vector<dead_letter>>(std::move(op), "dead_letters");
}

// ---------------------------------------------------------------------------------------
// Waiting for tasks to finish

std::uint64_t store::version() const { return impl_->finished.epoch(); }

awaitable<void> store::wait_for_finish(task_id id, std::uint64_t seen, time_point deadline)
{
    impl_->listen_for_finished();
    co_await impl_->finished.wait(id, seen, deadline);
}

void store::impl::listen_for_finished()
{
    std::lock_guard lock(listener_mutex);
    if (finish_listener)
        return;
    auto heard = [this](const std::string&, const std::string& payload) {
        std::vector<task_id> ids;
        for (std::size_t at = 0; at < payload.size();) {
            const auto end = std::min(payload.find(',', at), payload.size());
            if (auto id = uuid::parse(std::string_view(payload).substr(at, end - at)))
                ids.push_back(*id);
            at = end + 1;
        }
        finished.finished(ids);
    };
    // Subscribed, or the connection broke: a task may have ended unheard, everyone looks again.
    auto look_again = [this] { finished.look_again(); };
    finish_listener = std::make_unique<pq::listener>(
        config.url,
        pq::listener::callbacks{.notified = heard,
                                .subscribed = [look_again](const std::vector<std::string>&) { look_again(); },
                                .lost = look_again});
    finish_listener->listen(finished_channel);
}

} // namespace tasker::postgres
