#pragma once
// Idempotent submission, as a suite over the deployment type: `TASKER_IDENTITY_SUITE(Deployment,
// tags)` (the embedded runtime in identity_test.cpp, PostgreSQL with each broker in
// tests/rabbitmq/lifecycle_test.cpp). Each identity strategy through the client, and what a
// request carries, read back and listed.

#include "support/deployment.hpp"

#include <tasker/model/canonical_json.hpp>

#include "support/catch.hpp"

#include <string>
#include <vector>

namespace tasker::test::identity {

using namespace std::chrono_literals;

/// Registers `identity_<strategy>` (namespace `lifecycle`, one step) with `strategy` as its
/// identity_strategy, or none when empty, and starts the runtime.
template <class Runtime>
void start_with_templates(Runtime& rt)
{
    rt.handlers().add("identity.step", [](step_context&) { return success(); });
    for (std::string strategy : {"strict", "caller_provided", "always_unique", ""}) {
        const auto name = "identity_" + (strategy.empty() ? std::string("default") : strategy);
        auto t = rt.load_template("name: " + name + "\nnamespace_name: lifecycle\nversion: 1.0.0\n" +
                                  (strategy.empty() ? std::string() : "identity_strategy: " + strategy + "\n") +
                                  "steps:\n  - {name: only, handler: {callable: identity.step}}\n");
        REQUIRE(t);
    }
    REQUIRE(rt.start());
}

inline task_request request(std::string name, std::string_view context, std::string key = {})
{
    task_request r{{"lifecycle", "identity_" + std::move(name), std::nullopt}, parse_json(context).value(),
                   std::move(key), {}};
    return r;
}

template <class Runtime>
std::size_t count(Runtime& rt, const std::string& name)
{
    auto page = rt.list({.template_name = "identity_" + name, .limit = task_filter::max_limit});
    REQUIRE(page);
    return page->tasks.size();
}

template <class D>
void strict_deduplicates_by_canonical_context()
{
    D d;
    auto& rt = d.rt;
    start_with_templates(rt);
    const auto first = rt.submit(request("strict", R"({"order": {"id": 17, "total": 1.0}, "items": ["a", "b"]})"));
    REQUIRE(first);
    CHECK(first->created);
    // Key order, whitespace and number spelling differ; the meaning does not.
    const auto again =
        rt.submit(request("strict", "{\n  \"items\" : [\"a\",\"b\"],\t\"order\":{ \"total\": 1, \"id\": 1.7e1 } }"));
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK(again->id == first->id);
    // Another context is another task; so is array order.
    const auto other = rt.submit(request("strict", R"({"order": {"id": 17, "total": 1.0}, "items": ["b", "a"]})"));
    REQUIRE(other);
    CHECK(other->created);
    CHECK(other->id != first->id);

    // The key is the context's digest, the same in every process: a batch finds it too, and
    // two requests of one batch with one meaning are one task.
    const auto batch = rt.submit_batch({request("strict", R"({"items":["a","b"],"order":{"id":17,"total":1}})"),
                                        request("strict", R"({"n": 1})"), request("strict", R"({"n": 1.0})")});
    REQUIRE(batch);
    REQUIRE(batch->size() == 3);
    CHECK_FALSE((*batch)[0].created);
    CHECK((*batch)[0].id == first->id);
    CHECK((*batch)[1].created);
    CHECK_FALSE((*batch)[2].created);
    CHECK((*batch)[2].id == (*batch)[1].id);

    const auto v = rt.wait(first->id, 30s);
    REQUIRE(v);
    CHECK(v->state == task_state::complete);
    CHECK(v->identity_key == canonical_digest(parse_json(R"({"items":["a","b"],"order":{"id":17,"total":1}})").value()));
    CHECK(count(rt, "strict") == 3);

    // A caller's key is refused: the template identifies tasks by their context.
    const auto keyed = rt.submit(request("strict", R"({"n": 2})", "my-key"));
    REQUIRE_FALSE(keyed);
    CHECK(keyed.error() == errc::invalid_request);
    CHECK(keyed.error().message.find("identity_strategy strict") != std::string::npos);
    CHECK(count(rt, "strict") == 3);
}

template <class D>
void caller_provided_needs_a_key()
{
    D d;
    auto& rt = d.rt;
    start_with_templates(rt);
    const auto missing = rt.submit(request("caller_provided", "{}"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::invalid_request);
    CHECK(missing.error().message.find("must be submitted with an identity_key") != std::string::npos);
    // In a batch too, saying which request, and nothing of the batch is created.
    const auto batch = rt.submit_batch({request("caller_provided", "{}", "k-1"), request("caller_provided", "{}")});
    REQUIRE_FALSE(batch);
    CHECK(batch.error() == errc::invalid_request);
    CHECK(batch.error().message.find("task 2 of 2") != std::string::npos);
    CHECK(count(rt, "caller_provided") == 0);

    const auto first = rt.submit(request("caller_provided", R"({"n": 1})", "k-1"));
    REQUIRE(first);
    CHECK(first->created);
    const auto again = rt.submit(request("caller_provided", R"({"n": 2})", "k-1"));
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK(again->id == first->id);
    CHECK(rt.submit(request("caller_provided", R"({"n": 1})", "k-2")).value().created);
    CHECK(count(rt, "caller_provided") == 2);
}

template <class D>
void always_unique_creates_every_time()
{
    D d;
    auto& rt = d.rt;
    start_with_templates(rt);
    const auto a = rt.submit(request("always_unique", R"({"n": 1})"));
    const auto b = rt.submit(request("always_unique", R"({"n": 1})"));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->created);
    CHECK(b->created);
    CHECK(a->id != b->id);
    const auto keyed = rt.submit(request("always_unique", R"({"n": 1})", "k-1"));
    REQUIRE_FALSE(keyed);
    CHECK(keyed.error() == errc::invalid_request);
    CHECK(count(rt, "always_unique") == 2);
    CHECK(rt.wait(b->id, 30s).value().state == task_state::complete);
}

template <class D>
void default_uses_the_key_when_given()
{
    D d;
    auto& rt = d.rt;
    start_with_templates(rt);
    const auto a = rt.submit(request("default", R"({"n": 1})", "k-1"));
    const auto b = rt.submit(request("default", R"({"n": 2})", "k-1"));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->created);
    CHECK_FALSE(b->created);
    CHECK(b->id == a->id);
    CHECK(rt.submit(request("default", R"({"n": 1})")).value().created);
    CHECK(rt.submit(request("default", R"({"n": 1})")).value().created);
    CHECK(count(rt, "default") == 3);
}

template <class D>
void request_fields_are_kept_and_listed()
{
    D d;
    auto& rt = d.rt;
    start_with_templates(rt);
    auto r = request("default", R"({"n": 1})");
    r.correlation_id = "corr-9";
    r.parent_correlation_id = "parent-9";
    r.initiator = "alice@example.com";
    r.source_system = "billing";
    r.reason = "monthly close";
    r.tags = {"finance", "eu"};
    r.priority = 5;
    const auto created = rt.submit(std::move(r));
    REQUIRE(created);
    REQUIRE(rt.submit(request("default", R"({"n": 2})")));

    const auto v = rt.wait(created->id, 30s);
    REQUIRE(v);
    CHECK(v->state == task_state::complete);
    CHECK(v->correlation_id == "corr-9");
    CHECK(v->parent_correlation_id == "parent-9");
    CHECK(v->initiator == "alice@example.com");
    CHECK(v->source_system == "billing");
    CHECK(v->reason == "monthly close");
    CHECK(v->tags == std::vector<std::string>{"finance", "eu"});
    CHECK(v->priority == 5);

    const auto listed = rt.list({.tag = "finance"});
    REQUIRE(listed);
    REQUIRE(listed->tasks.size() == 1);
    CHECK(listed->tasks[0].id == created->id);
    CHECK(listed->tasks[0].initiator == "alice@example.com");

    // A bad field is refused by the client, naming it, and nothing is created.
    auto bad = request("default", R"({"n": 3})");
    bad.tags = {"ok", "not ok"};
    const auto refused = rt.submit(std::move(bad));
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == errc::invalid_request);
    REQUIRE(refused.error().problems.size() == 1);
    CHECK(refused.error().problems[0].path == "tags[1]");
    CHECK(count(rt, "default") == 2);
}

} // namespace tasker::test::identity

/// The identity cases for `Deployment`, tagged `tags`.
#define TASKER_IDENTITY_SUITE(Deployment, tags)                                                                      \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "identity", ::tasker::test::identity::strict_deduplicates_by_canonical_context, \
                           "strict returns the task of a context however it is spelled")                             \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "identity", ::tasker::test::identity::caller_provided_needs_a_key,      \
                           "caller_provided refuses a request without a key and deduplicates by it")                 \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "identity", ::tasker::test::identity::always_unique_creates_every_time, \
                           "always_unique creates a task for every submission")                                      \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "identity", ::tasker::test::identity::default_uses_the_key_when_given,  \
                           "without a strategy, a key given deduplicates and no key creates")                        \
    TASKER_DEPLOYMENT_CASE(Deployment, tags, "identity", ::tasker::test::identity::request_fields_are_kept_and_listed, \
                           "a request's fields are kept, returned and listed, and a bad one creates nothing")            \
    static_assert(true, "TASKER_IDENTITY_SUITE is followed by a semicolon")
