#pragma once

#include <tasker/engine/client.hpp>
#include <tasker/model/json_schema.hpp>

#include <algorithm>
#include <map>
#include <string>

namespace tasker {

template <task_store Store>
awaitable<result<template_ptr>> client<Store>::register_template(task_template t, template_options options)
{
    auto valid = validate_template(std::move(t), options);
    if (!valid)
        co_return valid.error();
    co_return co_await store_.register_template(std::move(*valid));
}

template <task_store Store>
result<new_task> client<Store>::prepare(task_request& r, template_ptr tmpl) const
{
    if (const auto size = serialized_size(r.context); size > options_.max_context_bytes)
        return error{errc::payload_too_large, "task context is " + std::to_string(size) +
                                                  " bytes serialised; the limit is " +
                                                  std::to_string(options_.max_context_bytes)};
    if (tmpl->schema)
        if (auto ok = tmpl->schema->validate(r.context); !ok)
            return ok.error();
    auto key = identity_key_for(tmpl->key(), tmpl->identity, std::move(r.identity_key), r.context);
    if (!key)
        return key.error();
    new_task t{std::move(tmpl), make_json(std::move(r.context)), std::move(*key), std::move(r.correlation_id)};
    t.parent_correlation_id = std::move(r.parent_correlation_id);
    t.initiator = std::move(r.initiator);
    t.source_system = std::move(r.source_system);
    t.reason = std::move(r.reason);
    t.tags = std::move(r.tags);
    t.priority = r.priority;
    if (auto ok = check_request_fields(t); !ok)
        return ok.error();
    return t;
}

template <task_store Store>
awaitable<result<task_created>> client<Store>::submit(task_request r)
{
    auto tmpl = co_await store_.find_template(r.workflow);
    if (!tmpl)
        co_return tmpl.error();
    auto task = prepare(r, std::move(*tmpl));
    if (!task)
        co_return task.error();
    co_return co_await store_.create_task(std::move(*task));
}

template <task_store Store>
awaitable<result<std::vector<task_created>>> client<Store>::submit_batch(std::vector<task_request> rs)
{
    // Requests of one workflow resolve its template once.
    std::map<std::string, template_ptr> resolved;
    std::vector<new_task> batch;
    batch.reserve(rs.size());
    for (std::size_t k = 0; k < rs.size(); ++k) {
        auto& r = rs[k];
        auto& tmpl = resolved[r.workflow.to_string()];
        if (!tmpl) {
            auto found = co_await store_.find_template(r.workflow);
            if (!found)
                co_return in_batch(found.error(), k, rs.size());
            tmpl = std::move(*found);
        }
        auto task = prepare(r, tmpl);
        if (!task)
            co_return in_batch(task.error(), k, rs.size());
        batch.push_back(std::move(*task));
    }
    co_return co_await store_.create_tasks(std::move(batch));
}

template <task_store Store>
awaitable<result<task_state>> client<Store>::cancel(task_id id)
{
    operator_action cancel = action::cancel{};
    change_origin who{options_.actor, "cancelled by the application", nullptr};
    co_return co_await store_.apply_action(id, std::move(cancel), std::move(who));
}

template <task_store Store>
awaitable<result<task_state>> client<Store>::act(task_id id, operator_action a, change_origin who)
{
    co_return co_await store_.apply_action(id, std::move(a), std::move(who));
}

template <task_store Store>
awaitable<result<task_view>> client<Store>::get(task_id id)
{
    co_return co_await store_.get_task(id);
}

template <task_store Store>
awaitable<result<task_page>> client<Store>::list(task_filter filter)
{
    co_return co_await store_.list_tasks(std::move(filter));
}

template <task_store Store>
awaitable<result<task_analytics>> client<Store>::analytics(analytics_query q)
{
    co_return co_await store_.analytics(std::move(q));
}

template <task_store Store>
awaitable<result<task_view>> client<Store>::wait_until_finished(task_id id, time_point deadline)
{
    while (true) {
        std::uint64_t seen = 0;
        if constexpr (requires { store_.version(); })
            seen = store_.version();
        auto t = co_await store_.get_task(id);
        if (!t)
            co_return t.error();
        if (is_terminal(t->state))
            co_return std::move(*t);
        if (clock_.now() >= deadline)
            co_return error{errc::timeout, "task " + id.to_string() + " is still " +
                                               std::string(to_string(t->state))};
        // Stores that can tell when the task (or anything) changed are waited on; others are
        // polled.
        if constexpr (requires { store_.wait_for_finish(id, seen, deadline); })
            co_await store_.wait_for_finish(id, seen, deadline);
        else if constexpr (requires { store_.wait_for_change(seen, deadline); })
            co_await store_.wait_for_change(seen, deadline);
        else
            co_await clock_.wait_until(std::min(deadline, clock_.now() + milliseconds(50)));
    }
}

} // namespace tasker
