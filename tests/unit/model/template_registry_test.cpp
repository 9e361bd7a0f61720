#include <tasker/model/template_registry.hpp>

#include "support/templates.hpp"

#include <thread>

using namespace tasker;

namespace {

task_template versioned(std::string version, std::string callable = "h.a")
{
    task_template t;
    t.name = "flow";
    t.namespace_name = "tests";
    t.version = semver::parse(version).value();
    step_template s;
    s.name = "a";
    s.handler.callable = std::move(callable);
    t.steps.push_back(s);
    return validate_template(std::move(t)).value();
}

} // namespace

TEST_CASE("template registry: exact and newest versions", "[unit][templates]")
{
    template_registry r;
    REQUIRE(r.add(versioned("1.0.0")));
    REQUIRE(r.add(versioned("1.10.0")));
    REQUIRE(r.add(versioned("1.9.0")));
    REQUIRE(r.add(versioned("2.0.0-rc.1")));

    auto newest = r.find({"tests", "flow", std::nullopt});
    REQUIRE(newest);
    CHECK((*newest)->version.to_string() == "2.0.0-rc.1");
    auto exact = r.find({"tests", "flow", semver{1, 9, 0, {}, {}}});
    REQUIRE(exact);
    CHECK((*exact)->version.to_string() == "1.9.0");

    auto no_version = r.find({"tests", "flow", semver{3, 0, 0, {}, {}}});
    REQUIRE_FALSE(no_version);
    CHECK(no_version.error() == errc::version_not_found);
    CHECK(no_version.error().message ==
          "template 'tests/flow' has no version 3.0.0 (registered: 1.0.0, 1.9.0, 1.10.0, 2.0.0-rc.1)");

    auto no_template = r.find({"tests", "other", std::nullopt});
    REQUIRE_FALSE(no_template);
    CHECK(no_template.error() == errc::template_not_found);
    auto other_namespace = r.find({"elsewhere", "flow", std::nullopt});
    CHECK(other_namespace.error() == errc::template_not_found);
    CHECK(r.all().size() == 4);
}

TEST_CASE("template registry: templates are immutable per version", "[unit][templates]")
{
    template_registry r;
    auto first = r.add(versioned("1.0.0"));
    REQUIRE(first);
    auto again = r.add(versioned("1.0.0"));
    REQUIRE(again);
    CHECK(again->get() == first->get()); // idempotent: the same pointer

    auto changed = r.add(versioned("1.0.0", "h.other"));
    REQUIRE_FALSE(changed);
    CHECK(changed.error() == errc::template_conflict);
    CHECK(changed.error().message.find("'tests/flow@1.0.0' is already registered with a different definition") !=
          std::string::npos);
    CHECK(r.find({"tests", "flow", std::nullopt}).value()->steps[0].handler.callable == "h.a");

    // The identity strategy is part of the definition.
    auto strict = versioned("1.0.0");
    strict.identity = identity_strategy::strict;
    auto other_identity = r.add(std::move(strict));
    REQUIRE_FALSE(other_identity);
    CHECK(other_identity.error() == errc::template_conflict);

    // A running task keeps its pointer whatever is registered later.
    REQUIRE(r.add(versioned("1.1.0", "h.new")));
    CHECK((*first)->steps[0].handler.callable == "h.a");
}

TEST_CASE("template registry: unvalidated templates are refused", "[unit][templates]")
{
    template_registry r;
    task_template raw;
    raw.name = "raw";
    raw.namespace_name = "tests";
    raw.steps.push_back({});
    auto added = r.add(raw);
    REQUIRE_FALSE(added);
    CHECK(added.error() == errc::invalid_template);
    CHECK(r.all().empty());
}

TEST_CASE("template registry: concurrent add and find", "[unit][templates]")
{
    template_registry r;
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k)
        threads.emplace_back([&r, k] {
            for (int i = 0; i < 50; ++i) {
                REQUIRE(r.add(versioned("1." + std::to_string(i) + ".0")));
                REQUIRE(r.find({"tests", "flow", std::nullopt}));
                if (k == 0)
                    REQUIRE(r.add(versioned("9.9.9")));
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(r.all().size() == 51);
    CHECK(r.find({"tests", "flow", std::nullopt}).value()->version.to_string() == "9.9.9");
}
