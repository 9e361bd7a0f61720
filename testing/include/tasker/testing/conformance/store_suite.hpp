#pragma once
// The store conformance suite's fixture concept, its workflow, and the base its case
// groups share: the fixture, the two queues, and the operations as one-line helpers.

#include <tasker/detail/run_blocking.hpp>
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
#include <tasker/testing/conformance/support.hpp>

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

namespace conformance {

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

} // namespace conformance

/// What every group of the store suite's cases stands on: a fresh fixture (the store and
/// its broker, the queues ensured as the engine does), and the operations as helpers that
/// fail the case with the operation's name. Each drives the store through its coroutine
/// interface the way the engine does.
template <store_fixture F>
class store_suite {
public:
    using store_type = std::remove_reference_t<decltype(std::declval<F&>().store())>;
    using broker_type = std::remove_reference_t<decltype(std::declval<F&>().broker())>;

    static constexpr std::string_view ns = "conformance";
    static constexpr std::uint32_t step_a = 0;
    static constexpr std::uint32_t step_b = 1;
    static constexpr std::uint32_t step_c = 2;

    explicit store_suite(F& fixture)
        : f_(fixture), worker_q_(worker_queue(ns).value()), orchestration_q_(orchestration_queue())
    {
        run(broker().ensure_queue(worker_q_), "ensure_queue (worker queue)");
        run(broker().ensure_queue(orchestration_q_), "ensure_queue (orchestration queue)");
    }

protected:
    template <class T>
    static T run(awaitable<result<T>> op, std::string_view what)
    {
        return conformance::run_op(std::move(op), what);
    }

    template <class T>
    static result<T> blocking(awaitable<result<T>> op)
    {
        return ::tasker::detail::run_blocking(std::move(op));
    }

    template <class T>
    static bool failed_with(const result<T>& r, std::initializer_list<errc> codes)
    {
        return conformance::failed_with(r, codes);
    }

    /// What a store may answer to an action its state does not allow.
    static bool illegal(const result<task_state>& r)
    {
        return failed_with(r, {errc::illegal_transition, errc::state_conflict});
    }

    store_type& store() { return f_.store(); }
    broker_type& broker() { return f_.broker(); }
    static duration ticks(int n) { return n * conformance::conformance_tick<F>(); }
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
        auto yaml = conformance::conformance_flow_yaml(name, version, a_callable, retry_delay());
        return conformance::expect_value(load_template(yaml), "load_template");
    }

    template_ptr register_flow() { return run(store().register_template(flow("1.0.0")), "register_template"); }

    task_created create(const template_ptr& tmpl, std::string identity = {}, int order = 17)
    {
        new_task nt{tmpl, make_json(json::object{{"order", order}}), std::move(identity), {}};
        return run(store().create_task(std::move(nt)), "create_task");
    }

    task_view view(const task_id& id) { return run(store().get_task(id), "get_task"); }

    /// The first page of the suite's tasks that match `filter`.
    std::vector<task_summary> list(task_filter filter)
    {
        filter.namespace_name = std::string(ns);
        return run(store().list_tasks(std::move(filter)), "list_tasks").tasks;
    }

    std::vector<dead_letter> dead_letters(dead_letter_filter f = {})
    {
        return run(store().dead_letters(std::move(f)), "dead_letters").entries;
    }

    /// The origin the suite's operator actions carry.
    static change_origin by_operator() { return change_origin{"operator:conformance", "testing", nullptr}; }

    result<task_state> act(const task_id& id, operator_action a)
    {
        return blocking(store().apply_action(id, std::move(a), by_operator()));
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

    void orchestrate(std::vector<message> events) { run(store().orchestrate(std::move(events)), "orchestrate"); }

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

    /// A task of `tmpl` (of `priority`) in error: its step a failed for good, c done.
    task_id failed_for_good(const template_ptr& tmpl, int order, int priority = 0)
    {
        new_task nt{tmpl, make_json(json::object{{"order", order}}), {}, {}};
        nt.priority = priority;
        const auto id = run(store().create_task(std::move(nt)), "create_task").id;
        REQUIRE(claim(id, step_c, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_c, 1)) == record_status::recorded);
        REQUIRE(claim(id, step_a, 1, ticks(30)).status == claim_status::claimed);
        REQUIRE(record(outcome(id, step_a, 1, error_kind::permanent)) == record_status::recorded);
        orchestrate(drain(orchestration_q_));
        drain(worker_q_);
        REQUIRE(view(id).state == task_state::error);
        return id;
    }

    F& f_;
    queue_name worker_q_;
    queue_name orchestration_q_;
};

} // namespace tasker::testing
