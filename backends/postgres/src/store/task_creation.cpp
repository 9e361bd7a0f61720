#include "store/store_state.hpp"

#include <tasker/core/task_graph.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace tasker::postgres {

using namespace detail;

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
        "INSERT INTO tasker.tasks (id, template_id, state, context, identity_key, correlation_id, "
        "parent_correlation_id, initiator, source_system, reason, tags, priority, created_at, updated_at) "
        "SELECT n.id, n.template_id, n.state, n.context::json, n.identity_key, n.correlation_id, "
        "coalesce(n.parent_correlation_id, ''), coalesce(n.initiator, ''), coalesce(n.source_system, ''), "
        "coalesce(n.reason, ''), coalesce(n.tags, '{}'), coalesce(n.priority, 0), stamp.at, stamp.at "
        "FROM jsonb_to_recordset($1::jsonb) AS n(ord integer, id uuid, template_id bigint, state tasker.task_state, "
        "context text, identity_key text, correlation_id text, parent_correlation_id text, initiator text, "
        "source_system text, reason text, tags text[], priority integer), "
        "(SELECT clock_timestamp() AS at) AS stamp "
        "ORDER BY n.ord "
        "ON CONFLICT (template_id, identity_key) WHERE identity_key <> '' DO NOTHING "
        "RETURNING id, (extract(epoch FROM created_at) * 1000000)::bigint"};
    // The tags of the tasks inserted, for listings by tag (see migrations/0011_task_requests.sql).
    static constexpr statement insert_tags{
        "tasker_insert_task_tags",
        "INSERT INTO tasker.task_tags (tag, task_id) "
        "SELECT g.tag, n.task FROM jsonb_to_recordset($1::jsonb) AS n(task uuid, tags text[]), unnest(n.tags) AS g(tag)"};
    static constexpr statement identified_tasks{
        "tasker_identified_tasks",
        "SELECT n.ord, t.id FROM jsonb_to_recordset($1::jsonb) AS n(ord integer, template_id bigint, identity_key text) "
        // `<> ''` lets the partial index tasks_identity serve the lookup.
        "JOIN tasker.tasks AS t ON t.template_id = n.template_id AND t.identity_key = n.identity_key "
        "AND t.identity_key <> ''"};
    static constexpr statement insert_steps{
        "tasker_insert_step_rows",
        "INSERT INTO tasker.steps (task_id, idx, state, created) "
        "SELECT n.task, s.n - 1, s.state::tasker.step_state, coalesce((n.created ->> (s.n - 1)::integer)::boolean, true) "
        "FROM jsonb_to_recordset($1::jsonb) AS n(task uuid, states jsonb, created jsonb), "
        "jsonb_array_elements_text(n.states) WITH ORDINALITY AS s(state, n)"};

    for (std::size_t k = 0; k < batch.size(); ++k)
        if (auto ok = check_request_fields(batch[k]); !ok)
            co_return in_batch(ok.error(), k, batch.size());
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
            initial_steps(*tmpl, t.status);
            t.steps.resize(tmpl->steps.size());
            if (auto r = decide(*tmpl, t.id, t.state, t.status, input::start{}, randoms[k], starts[k]); !r)
                return refuse(r.error(), k);
            // The state the start ends in goes in with the row.
            task_state final_state = t.state;
            for (const auto& ch : starts[k].task_changes)
                final_state = ch.to;
            json::object row{{"ord", k},
                             {"id", t.id.to_string()},
                             {"template_id", template_id},
                             {"state", name_of(final_state)},
                             {"context", json::serialize(nt.context ? *nt.context : json::value(json::object{}))},
                             {"identity_key", nt.identity_key},
                             {"correlation_id", nt.correlation_id}};
            // The request's other fields only when given: most tasks have none, and the
            // statement reads a missing one as its column's default.
            auto text = [&row](std::string_view key, const std::string& v) {
                if (!v.empty())
                    row[key] = v;
            };
            text("parent_correlation_id", nt.parent_correlation_id);
            text("initiator", nt.initiator);
            text("source_system", nt.source_system);
            text("reason", nt.reason);
            if (!nt.tags.empty()) {
                json::array tags;
                for (const auto& tag : nt.tags)
                    tags.emplace_back(tag);
                row["tags"] = std::move(tags);
            }
            if (nt.priority != 0)
                row["priority"] = nt.priority;
            task_rows.push_back(std::move(row));
        }

        std::map<task_id, std::int64_t> inserted;
        for (const auto& row : exec(tx.statements(), insert_tasks, json::serialize(task_rows)))
            inserted.emplace(parse_uuid(row[0]), row[1].as<std::int64_t>());
        std::vector<task_created> out(n);
        changeset cs(inserted.empty() ? 0 : inserted.begin()->second, impl->config.route);
        cs.set_origin(change_origin{"client", {}, nullptr});
        json::array step_rows;
        json::array tag_rows;
        json::array existing; // identity keys that named a task already there
        for (std::size_t k = 0; k < n; ++k) {
            auto& t = rows[k];
            if (!inserted.contains(t.id)) {
                existing.push_back(json::object{
                    {"ord", k}, {"template_id", t.template_id}, {"identity_key", batch[k].identity_key}});
                continue;
            }
            cs.apply_decision(t, starts[k]);
            json::array states;
            for (const auto& s : t.status)
                states.emplace_back(to_string(s.state));
            json::object step_row{{"task", t.id.to_string()}, {"states", std::move(states)}};
            if (t.dynamic()) {
                json::array created;
                for (const auto& s : t.status)
                    created.emplace_back(s.created);
                step_row["created"] = std::move(created);
            }
            step_rows.push_back(std::move(step_row));
            if (!batch[k].tags.empty())
                tag_rows.push_back(json::object{{"task", t.id.to_string()}, {"tags", task_rows[k].as_object().at("tags")}});
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
        if (!tag_rows.empty())
            exec(tx.statements(), insert_tags, json::serialize(tag_rows));
        commit(tx, cs, {});
        return out;
    };
    co_return co_await impl_->run<std::vector<task_created>>(std::move(op), "create_tasks");
}

} // namespace tasker::postgres
