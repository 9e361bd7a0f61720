#pragma once
// The `task_store` conformance suite: the concept's contract as Catch2 v2 test cases, for
// any store (and the broker it commits its messages to) a fixture can make. Header-only;
// include it in one test file.

#include <tasker/error.hpp>
#include <tasker/messaging/delivery.hpp>
#include <tasker/messaging/message.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/template_key.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/retry/error_kind.hpp>
#include <tasker/state/step_state.hpp>
#include <tasker/state/task_state.hpp>
#include <tasker/store/new_task.hpp>
#include <tasker/store/operator_action.hpp>
#include <tasker/store/step_claim.hpp>
#include <tasker/store/step_outcome.hpp>
#include <tasker/store/step_ref.hpp>
#include <tasker/store/task_store.hpp>
#include <tasker/store/task_view.hpp>
#include <tasker/testing/broker_conformance.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <latch>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace Catch {

template <>
struct StringMaker<tasker::claim_status> {
    static std::string convert(tasker::claim_status s)
    {
        switch (s) {
        case tasker::claim_status::claimed: return "claimed";
        case tasker::claim_status::stale: return "stale";
        case tasker::claim_status::busy: return "busy";
        case tasker::claim_status::lost: return "lost";
        case tasker::claim_status::not_found: return "not_found";
        }
        return "claim_status(" + std::to_string(static_cast<int>(s)) + ")";
    }
};

template <>
struct StringMaker<tasker::record_status> {
    static std::string convert(tasker::record_status s)
    {
        switch (s) {
        case tasker::record_status::recorded: return "recorded";
        case tasker::record_status::ignored: return "ignored";
        }
        return "record_status(" + std::to_string(static_cast<int>(s)) + ")";
    }
};

} // namespace Catch

namespace tasker::testing {

/// What `TASKER_STORE_CONFORMANCE` needs to run the store suite against a backend. Every
/// test case default-constructs one fixture (`F f;`, so an aggregate holding a
/// `manual_clock` will do) and uses nothing else. For a fixture `f`:
///
/// 1. `f.store()`: an lvalue reference to the `task_store` under test, empty: no template
///    and no task that another fixture instance made (a fresh schema or database per
///    instance for a server, or truncated tables).
/// 2. `f.broker()`: an lvalue reference to the `message_broker` the store commits its
///    messages to (DESIGN "Atomic state + message"), equally fresh. The suite reads the
///    queues `worker_conformance` and `orchestration_queue()` from it to check what the
///    store sent, and calls `ensure_queue` on both first, as the engine does.
/// 3. `f.now()`: the store's current time.
/// 4. `f.advance(d)`: makes `d` of store and broker time pass: `clock.advance(d)` with the
///    testing kit's `manual_clock`, a sleep for a server (a few seconds per case at the
///    default tick; the suite also advances by a few milliseconds to order creations).
/// 5. Optionally `static constexpr duration tick`, as for `broker_fixture` (default 1 s).
///
/// @par Example
/// @code
/// struct memory_store_fixture {
///     tasker::testing::manual_clock clock;
///     tasker::inmemory::broker messages{tasker::any_clock::ref(clock)};
///     tasker::inmemory::store tasks{messages, tasker::any_clock::ref(clock)};
///
///     tasker::inmemory::store& store() { return tasks; }
///     tasker::inmemory::broker& broker() { return messages; }
///     tasker::time_point now() const { return clock.now(); }
///     void advance(tasker::duration d) { clock.advance(d); }
/// };
/// TASKER_STORE_CONFORMANCE(memory_store_fixture, "[memory]");
/// @endcode
template <class F>
concept store_fixture = std::is_default_constructible_v<F> && requires(F& f, duration d) {
    requires std::is_lvalue_reference_v<decltype(f.store())>;
    requires task_store<std::remove_reference_t<decltype(f.store())>>;
    requires std::is_lvalue_reference_v<decltype(f.broker())>;
    requires message_broker<std::remove_reference_t<decltype(f.broker())>>;
    { f.now() } -> std::same_as<time_point>;
    { f.advance(d) } -> std::same_as<void>;
};

// Not `detail`: inside tasker::testing that name would hide tasker::detail from the
// testing kit's other headers.
namespace conformance_detail {

/// The suite's workflow, `conformance/<name>@<version>`: `a -> b`, and `c`, a second
/// root. Step `a` runs at most twice, `retry_delay` apart (no jitter, so the delay is
/// exact); `b` and `c` take the defaults.
inline std::string conformance_flow_yaml(std::string_view name, std::string_view version,
                                         std::string_view a_callable, duration retry_delay)
{
    std::ostringstream y;
    y << "name: " << name << "\n"
      << "namespace_name: conformance\n"
      << "version: " << version << "\n"
      << "description: the task_store conformance suite's workflow\n"
      << "steps:\n"
      << "  - name: a\n"
      << "    handler:\n"
      << "      callable: " << a_callable << "\n"
      << "    retry:\n"
      << "      max_attempts: 2\n"
      << "      backoff: constant\n"
      << "      backoff_base_ms: " << std::chrono::duration_cast<milliseconds>(retry_delay).count() << "\n"
      << "      jitter: 0\n"
      << "  - name: b\n"
      << "    dependencies: [a]\n"
      << "    handler:\n"
      << "      callable: conformance.b\n"
      << "  - name: c\n"
      << "    handler:\n"
      << "      callable: conformance.c\n";
    return y.str();
}

/// What an operation must not change, in one line that reads well in a failed check:
/// states, attempts, history length and the time of the last change.
inline std::string fingerprint(const task_view& v)
{
    std::ostringstream os;
    os << v.state;
    for (const auto& s : v.steps)
        os << ' ' << s.name << '=' << s.state << '/' << s.attempts;
    os << " history=" << v.task_transitions.size() << '+' << v.step_transitions.size()
       << " updated=" << v.updated_at.time_since_epoch().count();
    return os.str();
}

inline std::vector<message> sorted(std::vector<message> ms)
{
    std::sort(ms.begin(), ms.end(), [](const message& x, const message& y) {
        return std::tie(x.task, x.step, x.attempt, x.kind) < std::tie(y.task, y.step, y.attempt, y.kind);
    });
    return ms;
}

} // namespace conformance_detail

/// The cases of the store suite, one member function each, run by
/// `TASKER_STORE_CONFORMANCE` on a fresh fixture. Each drives the store through its
/// coroutine interface the way the engine does, and checks both the state it keeps and the
/// messages it commits with it.
template <store_fixture F>
class store_conformance {
public:
    using store_type = std::remove_reference_t<decltype(std::declval<F&>().store())>;
    using broker_type = std::remove_reference_t<decltype(std::declval<F&>().broker())>;

    static constexpr std::string_view ns = "conformance";
    static constexpr std::uint32_t step_a = 0;
    static constexpr std::uint32_t step_b = 1;
    static constexpr std::uint32_t step_c = 2;

    explicit store_conformance(F& fixture)
        : f_(fixture), worker_q_(worker_queue(ns).value()), orchestration_q_(orchestration_queue())
    {
        run(broker().ensure_queue(worker_q_), "ensure_queue (worker queue)");
        run(broker().ensure_queue(orchestration_q_), "ensure_queue (orchestration queue)");
    }

    /// Contract 1: the same template twice is a no-op; other content under the same
    /// (namespace, name, version) is `template_conflict` and leaves the first in place.
    void register_template_is_idempotent()
    {
        const auto t = flow("1.0.0");
        const auto first = run(store().register_template(t), "register_template");
        const auto again = run(store().register_template(t), "register_template, same content");
        CHECK(again->key() == first->key());
        CHECK(again->steps.size() == 3);

        const auto changed = flow("1.0.0", "conformance.other");
        const auto conflict = blocking(store().register_template(changed));
        CHECK(failed_with(conflict, {errc::template_conflict}));

        const auto kept = run(store().find_template(ref("conformance_flow", "1.0.0")), "find_template");
        CHECK(kept->steps[step_a].handler.callable == "conformance.a");
        const auto all = run(store().list_templates(), "list_templates");
        CHECK(std::count_if(all.begin(), all.end(), [&](const template_ptr& p) { return p->key() == first->key(); }) ==
              1);
    }

    /// Contract 2: the newest version by semver precedence (1.10.0 > 1.9.3 > 1.2.0), an
    /// exact version, and the two lookup errors.
    void find_template_by_version()
    {
        for (const char* v : {"1.2.0", "1.10.0", "1.9.3"})
            run(store().register_template(flow(v)), "register_template");
        const auto newest = run(store().find_template(ref("conformance_flow", {})), "find_template");
        CHECK(newest->version == semver::parse("1.10.0").value());
        const auto exact = run(store().find_template(ref("conformance_flow", "1.2.0")), "find_template");
        CHECK(exact->version == semver::parse("1.2.0").value());
        CHECK(failed_with(blocking(store().find_template(ref("conformance_flow", "2.0.0"))),
                                  {errc::version_not_found}));
        CHECK(failed_with(blocking(store().find_template(ref("conformance_nope", {}))),
                                  {errc::template_not_found}));
        const auto all = run(store().list_templates(), "list_templates");
        CHECK(std::count_if(all.begin(), all.end(), [](const template_ptr& p) {
                  return p->namespace_name == ns && p->name == "conformance_flow";
              }) == 3);
    }

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
        CHECK(conformance_detail::sorted(drain(worker_q_)) == roots);
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
        CHECK(conformance_detail::sorted(drain(worker_q_)) == conformance_detail::sorted(roots));
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
        const auto until = std::chrono::steady_clock::now() + conformance_detail::conformance_budget<F>() * 3;
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

    /// Contract 4: a claim is a compare-and-set: of two claims of the same attempt exactly
    /// one wins, whether they come in one call or from two threads at once.
    void claim_is_compare_and_set()
    {
        const auto id = create(register_flow()).id;
        std::vector<claim_request> twice{{{id, step_a}, 1, ticks(30)}, {{id, step_a}, 1, ticks(30)}};
        const auto out = run(store().claim_steps(std::move(twice)), "claim_steps");
        REQUIRE(out.size() == 2);
        CHECK(std::count_if(out.begin(), out.end(), [](const claim_outcome& o) {
                  return o.status == claim_status::claimed;
              }) == 1);
        CHECK(std::count_if(out.begin(), out.end(), [](const claim_outcome& o) {
                  return o.status == claim_status::busy;
              }) == 1);

        std::latch start(2);
        std::array<std::optional<result<std::vector<claim_outcome>>>, 2> racing;
        {
            std::jthread first([&] { racing[0] = claim_from_thread(start, id, step_c); });
            std::jthread second([&] { racing[1] = claim_from_thread(start, id, step_c); });
        }
        int claimed = 0;
        for (auto& r : racing) {
            REQUIRE(r.has_value());
            REQUIRE(r->has_value());
            REQUIRE((*r)->size() == 1);
            claimed += (**r)[0].status == claim_status::claimed;
            CHECK(((**r)[0].status == claim_status::claimed || (**r)[0].status == claim_status::busy));
        }
        CHECK(claimed == 1);

        const auto v = view(id);
        for (auto step : {step_a, step_c}) {
            INFO("step " << v.steps[step].name);
            CHECK(v.steps[step].state == step_state::in_progress);
            CHECK(v.steps[step].attempts == 1);
            CHECK(std::count_if(v.step_transitions.begin(), v.step_transitions.end(), [&](const step_transition& t) {
                      return t.step == step && t.to == step_state::in_progress;
                  }) == 1);
        }
    }

    /// Contract 4: what a claim returns, and the other answers: `busy` while the lease
    /// runs, `stale` for an attempt not enqueued or a step not ready, `not_found`.
    void claim_answers()
    {
        const auto tmpl = register_flow();
        const auto id = create(tmpl).id;
        const auto c = claim(id, step_a, 1, ticks(30));
        REQUIRE(c.status == claim_status::claimed);
        CHECK(c.claim.ref == step_ref{id, step_a});
        CHECK(c.claim.attempt == 1);
        REQUIRE(c.claim.tmpl);
        CHECK(c.claim.tmpl->key() == tmpl->key());
        REQUIRE(c.claim.context);
        CHECK(c.claim.context->at("order") == 17);
        CHECK(c.claim.ancestor_results.empty());
        CHECK(c.claim.lease_until - c.claim.claimed_at == ticks(30));

        f_.advance(ticks(10));
        const auto busy = claim(id, step_a, 1, ticks(30));
        CHECK(busy.status == claim_status::busy);
        CHECK(busy.retry_in > duration::zero());
        CHECK(busy.retry_in <= ticks(20));
        CHECK(claim(id, step_a, 2, ticks(30)).status == claim_status::stale); // attempt 2 was never enqueued
        CHECK(claim(id, step_b, 1, ticks(30)).status == claim_status::stale); // b waits for a
        CHECK(claim(unknown_task(), step_a, 1, ticks(30)).status == claim_status::not_found);
        CHECK(claim(id, 99, 1, ticks(30)).status == claim_status::not_found);
        CHECK(view(id).steps[step_a].attempts == 1);
    }

    /// Contract 4, owners: a claim asked again by the owner it named (its answer was lost) is
    /// the owner's again -- same attempt, no second claim in the history -- while anyone else,
    /// or a claim without an owner, finds the step busy.
    void claim_returns_to_its_owner()
    {
        const auto tmpl = register_flow();
        const auto id = create(tmpl).id;
        const auto owner = uuid::parse("01a22544-7fe6-7000-b65c-c0fd05f5ffdb").value();
        const auto other = uuid::parse("01a22544-7fe6-7000-b65c-c0fd05f5ffdc").value();
        const auto first = claim(id, step_a, 1, ticks(30), owner);
        REQUIRE(first.status == claim_status::claimed);
        const auto transitions = view(id).step_transitions.size();

        f_.advance(ticks(5));
        const auto again = claim(id, step_a, 1, ticks(30), owner);
        REQUIRE(again.status == claim_status::claimed);
        CHECK(again.claim.attempt == 1);
        CHECK(again.claim.lease_until == first.claim.lease_until); // the lease it holds, not a new one
        REQUIRE(again.claim.context);
        CHECK(again.claim.context->at("order") == 17);
        CHECK(claim(id, step_a, 1, ticks(30), other).status == claim_status::busy);
        CHECK(claim(id, step_a, 1, ticks(30)).status == claim_status::busy);
        const auto v = view(id);
        CHECK(v.steps[step_a].attempts == 1);
        CHECK(v.step_transitions.size() == transitions);
        CHECK(v.steps[step_a].state == step_state::in_progress);
    }

    /// Contract 6: a claimed attempt's result is recorded once, with its `step_result`
    /// message; a duplicate, a result for another attempt or an unclaimed step, and one
    /// for an unknown task are ignored and send nothing.
    void record_results_once()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);

        std::vector<step_outcome> twice{outcome(id, step_a, 1), outcome(id, step_a, 1)};
        const auto statuses = run(store().record_results(std::move(twice)), "record_results");
        REQUIRE(statuses.size() == 2);
        CHECK(statuses[0] == record_status::recorded);
        CHECK(statuses[1] == record_status::ignored);
        auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::enqueued_for_orchestration);
        REQUIRE(v.steps[step_a].result);
        CHECK(v.steps[step_a].result->at("step") == static_cast<int>(step_a));
        const std::vector<message> told{message{message_kind::step_result, step_a, 1, id}};
        CHECK(drain(orchestration_q_) == told);

        const auto before = conformance_detail::fingerprint(v);
        CHECK(record(outcome(id, step_a, 1)) == record_status::ignored); // late duplicate
        CHECK(record(outcome(id, step_a, 2)) == record_status::ignored); // not the current attempt
        CHECK(record(outcome(id, step_b, 1)) == record_status::ignored); // pending
        CHECK(record(outcome(id, step_c, 1)) == record_status::ignored); // enqueued, never claimed
        CHECK(record(outcome(unknown_task(), step_a, 1)) == record_status::ignored);
        CHECK(conformance_detail::fingerprint(view(id)) == before);
        CHECK(drain(orchestration_q_).empty());
        CHECK(drain(worker_q_).empty());
    }

    /// Contract 7: processing a success completes the step and starts its dependent, whose
    /// claim sees the result; processing the same message again changes and sends nothing.
    void process_moves_on_once()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1)) == record_status::recorded);
        const auto results = drain(orchestration_q_);
        REQUIRE(results.size() == 1);

        process(results);
        const auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::complete);
        CHECK(v.steps[step_b].state == step_state::enqueued);
        CHECK(v.state == task_state::steps_in_process);
        const std::vector<message> next{ready(id, step_b, 1)};
        CHECK(drain(worker_q_) == next);

        process(results);
        CHECK(conformance_detail::fingerprint(view(id)) == conformance_detail::fingerprint(v));
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());

        const auto b = claim(id, step_b, 1, ticks(30));
        REQUIRE(b.status == claim_status::claimed);
        REQUIRE(b.claim.ancestor_results.size() == 1);
        CHECK(b.claim.ancestor_results[0].first == step_a);
        REQUIRE(b.claim.ancestor_results[0].second);
        CHECK(b.claim.ancestor_results[0].second->at("step") == static_cast<int>(step_a));
    }

    /// Contracts 6 and 7 on failure: the failure is kept, the retry is a delayed
    /// `retry_due` message that stays invisible for the backoff, and the next attempt is
    /// enqueued and claimable once it is processed.
    void failed_attempt_is_retried_after_backoff()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1, error_kind::retryable)) == record_status::recorded);
        auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::enqueued_as_error_for_orchestration);
        REQUIRE(v.steps[step_a].last_error);
        CHECK(v.steps[step_a].last_error->kind == error_kind::retryable);
        CHECK(v.steps[step_a].last_error->message == "conformance failure");
        CHECK(v.steps[step_a].last_error->attempt == 1);

        process(drain(orchestration_q_));
        CHECK(view(id).steps[step_a].state == step_state::waiting_for_retry);
        CHECK(drain(orchestration_q_).empty()); // the retry waits for its backoff
        f_.advance(retry_delay() - ticks(1));
        CHECK(drain(orchestration_q_).empty());
        f_.advance(ticks(2));
        const auto due = drain(orchestration_q_);
        const std::vector<message> expected{message{message_kind::retry_due, step_a, 1, id}};
        CHECK(due == expected);

        process(due);
        CHECK(view(id).steps[step_a].state == step_state::enqueued);
        const std::vector<message> next{ready(id, step_a, 2)};
        CHECK(drain(worker_q_) == next);
        REQUIRE(claim(id, step_a, 2, ticks(30)).status == claim_status::claimed);
        CHECK(view(id).steps[step_a].attempts == 2);
    }

    /// Contract 5, and the lost worker of contract 4: a heartbeat keeps the caller's live
    /// claim and only that; once another claim finds the lease run out, the attempt is
    /// failed, the heartbeat and the late result are refused.
    void extend_leases_only_for_own_claims()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(10)).status == claim_status::claimed);
        f_.advance(ticks(8));
        std::vector<lease_extension> exts{{{id, step_a}, 1, ticks(10)},  // ours: until tick 18
                                          {{id, step_a}, 2, ticks(10)},  // another attempt
                                          {{id, step_c}, 1, ticks(10)},  // enqueued, never claimed
                                          {{id, step_b}, 1, ticks(10)},  // pending
                                          {{unknown_task(), step_a}, 1, ticks(10)}};
        const auto kept = run(store().extend_leases(std::move(exts)), "extend_leases");
        REQUIRE(kept.size() == 5);
        CHECK(kept[0]);
        CHECK_FALSE(kept[1]);
        CHECK_FALSE(kept[2]);
        CHECK_FALSE(kept[3]);
        CHECK_FALSE(kept[4]);

        f_.advance(ticks(8)); // tick 16: past the first lease, within the extension
        CHECK(claim(id, step_a, 1, ticks(10)).status == claim_status::busy);
        f_.advance(ticks(3)); // tick 19: the extension ran out too
        CHECK(claim(id, step_a, 1, ticks(10)).status == claim_status::lost);
        const auto v = view(id);
        CHECK(v.steps[step_a].state == step_state::enqueued_as_error_for_orchestration);
        REQUIRE(v.steps[step_a].last_error);
        CHECK(v.steps[step_a].last_error->kind == error_kind::timeout);
        const std::vector<message> told{message{message_kind::step_result, step_a, 1, id}};
        CHECK(drain(orchestration_q_) == told);

        std::vector<lease_extension> late{{{id, step_a}, 1, ticks(10)}};
        const auto refused = run(store().extend_leases(std::move(late)), "extend_leases");
        REQUIRE(refused.size() == 1);
        CHECK_FALSE(refused[0]);
        CHECK(record(outcome(id, step_a, 1)) == record_status::ignored);
        CHECK(view(id).steps[step_a].state == step_state::enqueued_as_error_for_orchestration);
    }

    /// Contract 8: cancelling a running task cancels it and every unfinished step; the
    /// running attempt's heartbeat, result and the other step's claim are refused.
    void cancel_running_task()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        const auto state = run(store().apply_action(id, action::cancel{}), "apply_action(cancel)");
        CHECK(state == task_state::cancelled);
        const auto v = view(id);
        CHECK(v.state == task_state::cancelled);
        for (const auto& s : v.steps) {
            INFO("step " << s.name);
            CHECK(s.state == step_state::cancelled);
        }
        std::vector<lease_extension> heartbeat{{{id, step_a}, 1, ticks(30)}};
        const auto kept = run(store().extend_leases(std::move(heartbeat)), "extend_leases");
        REQUIRE(kept.size() == 1);
        CHECK_FALSE(kept[0]);
        CHECK(record(outcome(id, step_a, 1)) == record_status::ignored);
        CHECK(claim(id, step_c, 1, ticks(30)).status == claim_status::stale);
        CHECK(conformance_detail::fingerprint(view(id)) == conformance_detail::fingerprint(v));
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());
    }

    /// Contract 8: an operator resolves a step with a result: the step counts as done and
    /// its dependent starts, seeing that result.
    void resolve_step_starts_dependents()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        operator_action resolve = action::resolve_step{"a", make_json(json::object{{"manual", true}})};
        const auto state = run(store().apply_action(id, std::move(resolve)), "apply_action(resolve_step)");
        const auto v = view(id);
        CHECK(state == v.state);
        CHECK(v.state == task_state::steps_in_process);
        CHECK(v.steps[step_a].state == step_state::resolved_manually);
        REQUIRE(v.steps[step_a].result);
        CHECK(v.steps[step_a].result->at("manual") == true);
        CHECK(v.steps[step_b].state == step_state::enqueued);
        const std::vector<message> next{ready(id, step_b, 1)};
        CHECK(drain(worker_q_) == next);
        const auto b = claim(id, step_b, 1, ticks(30));
        REQUIRE(b.status == claim_status::claimed);
        REQUIRE(b.claim.ancestor_results.size() == 1);
        REQUIRE(b.claim.ancestor_results[0].second);
        CHECK(b.claim.ancestor_results[0].second->at("manual") == true);
    }

    /// Contract 8 and DESIGN "State machines": an action the state does not allow is a
    /// typed error and changes nothing, on a running task and on a cancelled one.
    void illegal_actions_change_nothing()
    {
        const auto id = create(register_flow()).id;
        drain(worker_q_);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        const auto running = conformance_detail::fingerprint(view(id));

        CHECK(illegal(act(id, action::reset_step{"a"})));
        CHECK(illegal(act(id, action::resolve_task{})));
        CHECK(failed_with(act(id, action::reset_step{"zzz"}), {errc::step_not_found}));
        CHECK(failed_with(act(unknown_task(), action::cancel{}), {errc::task_not_found}));
        CHECK(conformance_detail::fingerprint(view(id)) == running);
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());

        REQUIRE(act(id, action::cancel{}).has_value());
        const auto cancelled = conformance_detail::fingerprint(view(id));
        CHECK(illegal(act(id, action::cancel{})));
        CHECK(failed_with(act(id, action::resolve_step{"b", make_json(json::object{})}),
                                  {errc::illegal_transition, errc::state_conflict}));
        CHECK(illegal(act(id, action::resolve_task{})));
        CHECK(conformance_detail::fingerprint(view(id)) == cancelled);
        CHECK(drain(worker_q_).empty());
        CHECK(drain(orchestration_q_).empty());
    }

    /// Contract 9: get_task of an unknown id; list_tasks newest first, filtered by
    /// namespace and state, limited; dead_letters holds the task that ended in error (and
    /// only once it ended), naming the failed step.
    void queries_and_dead_letters()
    {
        CHECK(failed_with(blocking(store().get_task(unknown_task())),
                                  {errc::task_not_found}));
        const auto tmpl = register_flow();
        const auto t1 = create(tmpl).id;
        f_.advance(milliseconds(2));
        const auto t2 = create(tmpl).id;
        f_.advance(milliseconds(2));
        const auto t3 = create(tmpl).id;
        drain(worker_q_);
        REQUIRE(act(t1, action::cancel{}).has_value());

        const auto all = list({});
        REQUIRE(all.size() == 3);
        CHECK(all[0].id == t3);
        CHECK(all[1].id == t2);
        CHECK(all[2].id == t1);
        CHECK(all[0].key == tmpl->key());
        CHECK(all[2].state == task_state::cancelled);
        const auto cancelled = list({.state = task_state::cancelled});
        REQUIRE(cancelled.size() == 1);
        CHECK(cancelled[0].id == t1);
        const auto newest = list({.limit = 2});
        REQUIRE(newest.size() == 2);
        CHECK(newest[0].id == t3);
        CHECK(newest[1].id == t2);
        task_filter elsewhere;
        elsewhere.namespace_name = "conformance_elsewhere";
        CHECK(run(store().list_tasks(std::move(elsewhere)), "list_tasks").empty());

        // t2's step a fails for good while c still runs: blocked, not yet a dead letter.
        REQUIRE(claim(t2, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(claim(t2, step_c, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(t2, step_a, 1, error_kind::permanent)) == record_status::recorded);
        process(drain(orchestration_q_));
        CHECK(view(t2).state == task_state::blocked_by_failures);
        CHECK(view(t2).steps[step_a].state == step_state::error);
        CHECK(dead_letters().empty());
        REQUIRE(record(outcome(t2, step_c, 1)) == record_status::recorded);
        process(drain(orchestration_q_));
        CHECK(view(t2).state == task_state::error);

        const auto dls = dead_letters();
        REQUIRE(dls.size() == 1);
        CHECK(dls[0].task == t2);
        CHECK(dls[0].key == tmpl->key());
        CHECK(dls[0].failed_steps == std::vector<std::string>{"a"});
        CHECK_FALSE(dls[0].reason.empty());
        CHECK(list({.state = task_state::error}).size() == 1);
    }

private:
    template <class T>
    static T run(awaitable<result<T>> op, std::string_view what)
    {
        return conformance_detail::run_op(std::move(op), what);
    }

    template <class T>
    static result<T> blocking(awaitable<result<T>> op)
    {
        return ::tasker::detail::run_blocking(std::move(op));
    }

    template <class T>
    static bool failed_with(const result<T>& r, std::initializer_list<errc> codes)
    {
        return conformance_detail::failed_with(r, codes);
    }

    /// What a store may answer to an action its state does not allow.
    static bool illegal(const result<task_state>& r)
    {
        return failed_with(r, {errc::illegal_transition, errc::state_conflict});
    }

    store_type& store() { return f_.store(); }
    broker_type& broker() { return f_.broker(); }
    static duration ticks(int n) { return n * conformance_detail::conformance_tick<F>(); }
    static duration retry_delay() { return ticks(2); }

    static template_ref ref(std::string name, std::optional<std::string> version)
    {
        template_ref r{std::string(ns), std::move(name), std::nullopt};
        if (version)
            r.version = semver::parse(*version).value();
        return r;
    }

    task_template flow(std::string_view version, std::string_view a_callable = "conformance.a",
                       std::string_view name = "conformance_flow")
    {
        auto yaml = conformance_detail::conformance_flow_yaml(name, version, a_callable, retry_delay());
        return conformance_detail::expect_value(load_template(yaml), "load_template");
    }

    template_ptr register_flow() { return run(store().register_template(flow("1.0.0")), "register_template"); }

    task_created create(const template_ptr& tmpl, std::string identity = {}, int order = 17)
    {
        new_task nt{tmpl, make_json(json::object{{"order", order}}), std::move(identity), {}};
        return run(store().create_task(std::move(nt)), "create_task");
    }

    task_view view(const task_id& id) { return run(store().get_task(id), "get_task"); }

    std::vector<task_summary> list(task_filter filter)
    {
        filter.namespace_name = std::string(ns);
        return run(store().list_tasks(std::move(filter)), "list_tasks");
    }

    std::vector<dead_letter> dead_letters() { return run(store().dead_letters(100), "dead_letters"); }

    result<task_state> act(const task_id& id, operator_action a)
    {
        return blocking(store().apply_action(id, std::move(a)));
    }

    claim_outcome claim(const task_id& id, std::uint32_t step, std::uint32_t attempt, duration lease,
                        uuid owner = {})
    {
        std::vector<claim_request> reqs{{{id, step}, attempt, lease, owner}};
        auto out = run(store().claim_steps(std::move(reqs)), "claim_steps");
        REQUIRE(out.size() == 1);
        return std::move(out[0]);
    }

    /// For a racing thread: no Catch assertions off the main thread, the result goes back.
    result<std::vector<claim_outcome>> claim_from_thread(std::latch& start, const task_id& id, std::uint32_t step)
    {
        std::vector<claim_request> reqs{{{id, step}, 1, ticks(30)}};
        start.arrive_and_wait();
        return blocking(store().claim_steps(std::move(reqs)));
    }

    /// A success (with a result naming the step), or a failure of `kind`.
    step_outcome outcome(const task_id& id, std::uint32_t step, std::uint32_t attempt,
                         std::optional<error_kind> failure = std::nullopt)
    {
        step_outcome o;
        o.ref = {id, step};
        o.attempt = attempt;
        o.success = !failure;
        if (failure)
            o.failure = step_failure{*failure, "conformance failure", std::nullopt, attempt};
        else
            o.result = make_json(json::object{{"step", static_cast<int>(step)}});
        o.started_at = o.finished_at = f_.now();
        return o;
    }

    record_status record(step_outcome o)
    {
        std::vector<step_outcome> one{std::move(o)};
        auto out = run(store().record_results(std::move(one)), "record_results");
        REQUIRE(out.size() == 1);
        return out[0];
    }

    void process(std::vector<message> events) { run(store().process(std::move(events)), "process"); }

    /// Every message visible on `q` now, acked so none comes back.
    std::vector<message> drain(queue_name q)
    {
        std::vector<message> out;
        for (int reads = 0; reads < 1000; ++reads) {
            const auto got = run(broker().read(q, 100, ticks(600)), "read");
            if (got.empty())
                break;
            std::vector<delivery_id> ids;
            for (const auto& d : got) {
                out.push_back(d.msg);
                ids.push_back(d.id);
            }
            run(broker().ack(q, std::move(ids)), "ack");
        }
        return out;
    }

    static message ready(const task_id& id, std::uint32_t step, std::uint32_t attempt)
    {
        return message{message_kind::step_ready, step, attempt, id};
    }

    task_id unknown_task() { return uuid_generator().next(f_.now()); }

    F& f_;
    queue_name worker_q_;
    queue_name orchestration_q_;
};

} // namespace tasker::testing

/// Defines the store conformance suite's test cases for `Fixture` (a `store_fixture`; see
/// there), tagged `[conformance][store]` plus `tags` (a string literal, may be empty). Use
/// it at namespace scope, once per fixture, followed by a semicolon; several fixtures may
/// share a binary. `Fixture` must be a plain or qualified name: it becomes part of each
/// test's name.
#define TASKER_STORE_CONFORMANCE(Fixture, tags)                                                                        \
    static_assert(::tasker::testing::store_fixture<Fixture>, #Fixture " is not a store_fixture");                      \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, register_template_is_idempotent,                                           \
                             "register_template is idempotent; other content is a conflict")                           \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, find_template_by_version,                                                  \
                             "find_template finds the newest or the exact version")                                    \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, create_task_starts_roots_with_messages,                                    \
                             "create_task enqueues the roots with their messages")                                     \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, create_task_rejects_unregistered_template,                                 \
                             "create_task with an unregistered template does nothing")                                 \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, create_task_is_idempotent_by_identity_key,                                 \
                             "create_task is idempotent by identity key")                                              \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, create_tasks_starts_every_task,                                            \
                             "create_tasks starts every task of the batch, answers in order")                          \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, create_tasks_is_all_or_nothing,                                            \
                             "create_tasks refuses the whole batch for one bad task")                                  \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, create_task_commits_state_before_messages,                                 \
                             "no message is readable before the state it names")                                       \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, claim_is_compare_and_set, "of two claims of one step exactly one wins")    \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, claim_answers, "claim_steps answers claimed, busy, stale and not_found")   \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, claim_returns_to_its_owner,                                                \
                             "a claim asked again by its owner is the owner's, busy for anyone else")                  \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, record_results_once, "a result is recorded once; duplicates are ignored")  \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, process_moves_on_once, "process moves a task on once per result")          \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, failed_attempt_is_retried_after_backoff,                                   \
                             "a failed attempt is retried after its backoff")                                          \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, extend_leases_only_for_own_claims,                                         \
                             "extend_leases holds only the caller's live claim")                                       \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, cancel_running_task, "cancel stops a running task and its steps")          \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, resolve_step_starts_dependents,                                            \
                             "resolve_step completes a step by hand and starts its dependents")                        \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, illegal_actions_change_nothing,                                            \
                             "illegal operator actions are typed errors and change nothing")                           \
    TASKER_DETAIL_STORE_CASE(Fixture, tags, queries_and_dead_letters, "get_task, list_tasks and dead_letters")         \
    static_assert(true, "TASKER_STORE_CONFORMANCE is followed by a semicolon")

/// One test case of the store suite (for `TASKER_STORE_CONFORMANCE`).
#define TASKER_DETAIL_STORE_CASE(Fixture, tags, method, title)                                                         \
    TEST_CASE("store conformance (" #Fixture "): " title, "[conformance][store]" tags)                                 \
    {                                                                                                                  \
        Fixture fixture;                                                                                               \
        ::tasker::testing::store_conformance<Fixture>(fixture).method();                                               \
    }
