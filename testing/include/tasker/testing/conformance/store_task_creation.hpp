#pragma once
// The store conformance suite, contract 3: creating tasks, one or a batch, idempotent by
// identity key, state committed before its messages.

#include <tasker/testing/conformance/store_suite.hpp>

namespace tasker::testing {

/// Contract 3: creating tasks, one or a batch, idempotent by identity key, state committed
/// before its messages.
template <store_fixture F>
class store_task_creation_cases : public store_suite<F> {
    using suite = store_suite<F>;
    using suite::run, suite::blocking, suite::failed_with, suite::store, suite::broker, suite::ticks, suite::flow,
        suite::register_flow, suite::create, suite::view, suite::list, suite::drain, suite::ready, suite::worker_q_,
        suite::orchestration_q_, suite::step_a, suite::step_b, suite::step_c;

public:
    using suite::suite;

    /// Contract 3: a new task leaves `pending`, its roots are enqueued and their first
    /// attempts' messages are on the worker queue as the call returns; nothing else moves.
    void create_task_starts_roots_with_messages()
    {
        const auto tmpl = register_flow();
        const auto created = create(tmpl);
        CHECK(created.created);
        const auto v = view(created.id);
        CHECK(v.state == task_state::steps_in_process);
        CHECK(v.tmpl->key() == tmpl->key());
        CHECK(v.context->at("order") == 17);
        REQUIRE(v.steps.size() == 3);
        CHECK(v.steps[step_a].state == step_state::enqueued);
        CHECK(v.steps[step_b].state == step_state::pending);
        CHECK(v.steps[step_c].state == step_state::enqueued);
        for (const auto& s : v.steps)
            CHECK(s.attempts == 0);
        REQUIRE_FALSE(v.task_transitions.empty());
        CHECK(v.task_transitions.front().from == task_state::pending);
        CHECK(v.task_transitions.back().to == task_state::steps_in_process);

        const std::vector<message> roots{ready(created.id, step_a, 1), ready(created.id, step_c, 1)};
        CHECK(conformance::sorted(drain(worker_q_)) == roots);
        CHECK(drain(orchestration_q_).empty());
    }

    /// Contract 3, all or nothing: a task of an unregistered template is not created and
    /// sends nothing.
    void create_task_rejects_unregistered_template()
    {
        register_flow();
        auto other = std::make_shared<const task_template>(flow("1.0.0", "conformance.a", "conformance_unregistered"));
        new_task nt{std::move(other), make_json(json::object{}), {}, {}};
        const auto r = blocking(store().create_task(std::move(nt)));
        CHECK(failed_with(r, {errc::template_not_found}));
        CHECK(list({}).empty());
        CHECK(drain(worker_q_).empty());
    }

    /// Contract 3: the identity key makes creation idempotent: the same id back, one task,
    /// one set of messages; other keys and no key create.
    void create_task_is_idempotent_by_identity_key()
    {
        const auto tmpl = register_flow();
        const auto first = create(tmpl, "order-17");
        CHECK(first.created);
        CHECK(drain(worker_q_).size() == 2);
        const auto again = create(tmpl, "order-17", 99);
        CHECK_FALSE(again.created);
        CHECK(again.id == first.id);
        CHECK(drain(worker_q_).empty());
        CHECK(view(first.id).context->at("order") == 17);

        const auto other = create(tmpl, "order-18");
        CHECK(other.created);
        CHECK(other.id != first.id);
        const auto anonymous1 = create(tmpl);
        const auto anonymous2 = create(tmpl);
        CHECK(anonymous1.id != anonymous2.id);
        CHECK(list({}).size() == 4);
    }

    /// Contract 3, batches: every task of the batch starts as create_task starts one, the
    /// answers come in order, and an identity key answers the task it names, whether that
    /// task is older than the batch or earlier in it.
    void create_tasks_starts_every_task()
    {
        const auto tmpl = register_flow();
        const auto older = create(tmpl, "order-1", 1);
        drain(worker_q_);
        std::vector<new_task> batch;
        batch.push_back(new_task{tmpl, make_json(json::object{{"order", 2}}), {}, {}});
        batch.push_back(new_task{tmpl, make_json(json::object{{"order", 3}}), "order-3", {}});
        batch.push_back(new_task{tmpl, make_json(json::object{{"order", 99}}), "order-1", {}});
        batch.push_back(new_task{tmpl, make_json(json::object{{"order", 98}}), "order-3", {}});
        const auto created = run(store().create_tasks(std::move(batch)), "create_tasks");
        REQUIRE(created.size() == 4);
        CHECK(created[0].created);
        CHECK(created[1].created);
        CHECK_FALSE(created[2].created);
        CHECK(created[2].id == older.id);
        CHECK_FALSE(created[3].created);
        CHECK(created[3].id == created[1].id);
        CHECK(created[0].id != created[1].id);
        CHECK(list({}).size() == 3);
        for (std::size_t k = 0; k < 2; ++k) {
            const auto v = view(created[k].id);
            CHECK(v.state == task_state::steps_in_process);
            CHECK(v.context->at("order") == static_cast<int>(k) + 2);
            CHECK(v.steps[step_a].state == step_state::enqueued);
            CHECK(v.steps[step_b].state == step_state::pending);
            CHECK(v.steps[step_c].state == step_state::enqueued);
        }
        CHECK(view(older.id).context->at("order") == 1);
        std::vector<message> roots;
        for (std::size_t k = 0; k < 2; ++k) {
            roots.push_back(ready(created[k].id, step_a, 1));
            roots.push_back(ready(created[k].id, step_c, 1));
        }
        CHECK(conformance::sorted(drain(worker_q_)) == conformance::sorted(roots));
        CHECK(drain(orchestration_q_).empty());
    }

    /// Contract 3, batches are all or nothing: one task that cannot be created refuses the
    /// batch, the error says which, and no task of it exists or sent anything.
    void create_tasks_is_all_or_nothing()
    {
        const auto tmpl = register_flow();
        auto other = std::make_shared<const task_template>(flow("1.0.0", "conformance.a", "conformance_unregistered"));
        std::vector<new_task> batch;
        batch.push_back(new_task{tmpl, make_json(json::object{{"order", 1}}), "order-1", {}});
        batch.push_back(new_task{std::move(other), make_json(json::object{}), {}, {}});
        const auto r = blocking(store().create_tasks(std::move(batch)));
        REQUIRE(failed_with(r, {errc::template_not_found}));
        CHECK(r.error().message.find("task 2 of 2") != std::string::npos);
        CHECK(list({}).empty());
        CHECK(drain(worker_q_).empty());
        // The identity key of the refused batch is free.
        CHECK(create(tmpl, "order-1").created);
    }

    /// DESIGN "Atomic state + message": a reader racing the creator never reads a message
    /// whose task or step state is not there yet.
    void create_task_commits_state_before_messages()
    {
        const auto tmpl = register_flow();
        constexpr int tasks = 20;
        std::vector<result<task_created>> created;
        std::jthread creator([&] {
            for (int i = 0; i < tasks; ++i) {
                new_task nt{tmpl, make_json(json::object{{"order", i}}), {}, {}};
                created.push_back(blocking(store().create_task(std::move(nt))));
            }
        });
        int seen = 0;
        const auto until = std::chrono::steady_clock::now() + conformance::conformance_budget<F>() * 3;
        while (seen < 2 * tasks && std::chrono::steady_clock::now() < until) {
            const auto got = run(broker().read(worker_q_, 16, ticks(600)), "read");
            if (got.empty()) {
                std::this_thread::yield();
                continue;
            }
            for (const auto& d : got) {
                ++seen;
                const auto v = blocking(store().get_task(d.msg.task));
                INFO("message " << d.msg);
                REQUIRE(v.has_value());
                REQUIRE(d.msg.step < v->steps.size());
                CHECK(v->steps[d.msg.step].state == step_state::enqueued);
            }
        }
        creator.join();
        CHECK(seen == 2 * tasks);
        for (const auto& r : created)
            CHECK(r.has_value());
    }
};

} // namespace tasker::testing
