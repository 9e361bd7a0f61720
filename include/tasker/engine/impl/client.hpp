#pragma once

#include <tasker/engine/client.hpp>
#include <tasker/model/json_schema.hpp>

#include <algorithm>
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
awaitable<result<task_created>> client<Store>::submit(task_request r)
{
    auto tmpl = co_await store_.find_template(r.workflow);
    if (!tmpl)
        co_return tmpl.error();
    if (const auto size = serialized_size(r.context); size > options_.max_context_bytes)
        co_return error{errc::payload_too_large, "task context is " + std::to_string(size) +
                                                     " bytes serialised; the limit is " +
                                                     std::to_string(options_.max_context_bytes)};
    if ((*tmpl)->schema)
        if (auto ok = (*tmpl)->schema->validate(r.context); !ok)
            co_return ok.error();
    // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
    new_task task{*tmpl, make_json(std::move(r.context)), std::move(r.identity_key), std::move(r.correlation_id)};
    co_return co_await store_.create_task(std::move(task));
}

template <task_store Store>
awaitable<result<task_state>> client<Store>::cancel(task_id id)
{
    operator_action cancel = action::cancel{};
    co_return co_await store_.apply_action(id, std::move(cancel));
}

template <task_store Store>
awaitable<result<task_state>> client<Store>::act(task_id id, operator_action a)
{
    co_return co_await store_.apply_action(id, std::move(a));
}

template <task_store Store>
awaitable<result<task_view>> client<Store>::get(task_id id)
{
    co_return co_await store_.get_task(id);
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
        // Stores that can tell when something changed are waited on; others are polled.
        if constexpr (requires { store_.wait_for_change(seen, deadline); })
            co_await store_.wait_for_change(seen, deadline);
        else
            co_await clock_.wait_until(std::min(deadline, clock_.now() + milliseconds(50)));
    }
}

} // namespace tasker
