#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>
#include <tasker/store/task_store.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace tasker::testing {

/// A process's view of a shared store that can be cut, as if the process died: once
/// `kill()` is called every operation fails with `errc::backend_unavailable` and changes
/// nothing. A worker on a killed view leaves what it claimed un-recorded and its messages
/// un-acked — exactly what the rest of the cluster sees when a worker crashes mid-step.
template <task_store Store>
class killable_store {
public:
    explicit killable_store(Store& inner) : inner_(inner) {}

    /// Called before every claim made through this view: lets a simulation know which
    /// process's handler runs next.
    void on_claim(std::function<void()> f) { on_claim_ = std::move(f); }

    void kill() noexcept { dead_ = true; }
    void revive() noexcept { dead_ = false; }
    bool dead() const noexcept { return dead_; }
    Store& inner() noexcept { return inner_; }

    awaitable<result<template_ptr>> register_template(task_template t)
    {
        return forward([&] { return inner_.register_template(std::move(t)); });
    }
    awaitable<result<template_ptr>> find_template(template_ref r)
    {
        return forward([&] { return inner_.find_template(std::move(r)); });
    }
    awaitable<result<std::vector<template_ptr>>> list_templates()
    {
        return forward([&] { return inner_.list_templates(); });
    }
    awaitable<result<task_created>> create_task(new_task t)
    {
        return forward([&] { return inner_.create_task(std::move(t)); });
    }
    awaitable<result<std::vector<task_created>>> create_tasks(std::vector<new_task> batch)
    {
        return forward([&] { return inner_.create_tasks(std::move(batch)); });
    }
    awaitable<result<std::vector<claim_outcome>>> claim_steps(std::vector<claim_request> r)
    {
        if (on_claim_ && !dead_)
            on_claim_();
        return forward([&] { return inner_.claim_steps(std::move(r)); });
    }
    awaitable<result<std::vector<bool>>> extend_leases(std::vector<lease_extension> e)
    {
        return forward([&] { return inner_.extend_leases(std::move(e)); });
    }
    awaitable<result<std::vector<bool>>> checkpoint_steps(std::vector<step_checkpoint> c)
    {
        return forward([&] { return inner_.checkpoint_steps(std::move(c)); });
    }
    awaitable<result<std::vector<record_status>>> record_results(std::vector<step_outcome> o)
    {
        return forward([&] { return inner_.record_results(std::move(o)); });
    }
    awaitable<result<void>> orchestrate(std::vector<message> events)
    {
        return forward([&] { return inner_.orchestrate(std::move(events)); });
    }
    awaitable<result<task_state>> apply_action(task_id id, operator_action a, change_origin who)
    {
        return forward([&] { return inner_.apply_action(id, std::move(a), std::move(who)); });
    }
    awaitable<result<task_view>> get_task(task_id id)
    {
        return forward([&] { return inner_.get_task(id); });
    }
    awaitable<result<task_page>> list_tasks(task_filter f)
    {
        return forward([&] { return inner_.list_tasks(std::move(f)); });
    }
    awaitable<result<std::vector<stale_task>>> sweep_stale(staleness_sweep s)
    {
        return forward([&] { return inner_.sweep_stale(std::move(s)); });
    }
    awaitable<result<dead_letter_page>> dead_letters(dead_letter_filter f)
    {
        return forward([&] { return inner_.dead_letters(std::move(f)); });
    }
    awaitable<result<dead_letter>> dead_letter_of(task_id id)
    {
        return forward([&] { return inner_.dead_letter_of(id); });
    }
    awaitable<result<tasker::dead_letter_counts>> dead_letter_counts()
    {
        return forward([&] { return inner_.dead_letter_counts(); });
    }
    awaitable<result<dead_letter>> update_dead_letter(std::uint64_t entry, dead_letter_update u)
    {
        return forward([&] { return inner_.update_dead_letter(entry, std::move(u)); });
    }
    awaitable<result<task_analytics>> analytics(analytics_query q)
    {
        return forward([&] { return inner_.analytics(std::move(q)); });
    }
    awaitable<result<retention_report>> purge_finished(retention_pass p)
    {
        return forward([&] { return inner_.purge_finished(std::move(p)); });
    }

private:
    // Calls the inner operation only while alive; the awaitable it returns is awaited here.
    template <class F>
    auto forward(F&& f) -> decltype(f())
    {
        using awaitable_type = decltype(f());
        using result_type = typename awaitable_type::value_type;
        if (dead_)
            return [](result_type r) -> awaitable_type { co_return r; }(
                       error{errc::backend_unavailable, "killable_store: this process was killed"});
        return f();
    }

    Store& inner_;
    bool dead_ = false;
    std::function<void()> on_claim_;
};

} // namespace tasker::testing
