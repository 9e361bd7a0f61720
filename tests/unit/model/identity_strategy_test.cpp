#include <tasker/model/canonical_json.hpp>
#include <tasker/model/identity_strategy.hpp>

#include "support/catch.hpp"

#include <sstream>

using namespace tasker;

namespace {

const template_key flow{"shop", "orders", semver{1, 0, 0, {}, {}}};

json::value context(std::string_view text) { return parse_json(text).value(); }

} // namespace

TEST_CASE("identity_key_for: the default takes the caller's key, or none", "[unit][identity]")
{
    CHECK(identity_key_for(flow, std::nullopt, "order-17", context("{}")).value() == "order-17");
    CHECK(identity_key_for(flow, std::nullopt, "", context(R"({"a": 1})")).value().empty());
}

TEST_CASE("identity_key_for: strict is the canonical digest of the context", "[unit][identity]")
{
    const auto a = identity_key_for(flow, identity_strategy::strict, "", context(R"({"id": 1, "items": [1.0, "x"]})"));
    REQUIRE(a);
    CHECK(*a == canonical_digest(context(R"({"id":1,"items":[1,"x"]})")));
    CHECK(a->size() == 64);
    // Key order, whitespace and number spelling do not change it; the values do.
    CHECK(identity_key_for(flow, identity_strategy::strict, "", context("{ \"items\" : [ 1e0 , \"x\" ] ,\n\"id\":1.0}"))
              .value() == *a);
    CHECK(identity_key_for(flow, identity_strategy::strict, "", context(R"({"id": 2, "items": [1, "x"]})")).value() !=
          *a);

    const auto given = identity_key_for(flow, identity_strategy::strict, "mine", context("{}"));
    REQUIRE_FALSE(given);
    CHECK(given.error() == errc::invalid_request);
    CHECK(given.error().message.find("template 'shop/orders@1.0.0' has identity_strategy strict") == 0);
    CHECK(given.error().message.find("an identity_key cannot be given") != std::string::npos);
}

TEST_CASE("identity_key_for: caller_provided needs the caller's key", "[unit][identity]")
{
    CHECK(identity_key_for(flow, identity_strategy::caller_provided, "order-17", context("{}")).value() == "order-17");
    const auto missing = identity_key_for(flow, identity_strategy::caller_provided, "", context("{}"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error() == errc::invalid_request);
    CHECK(missing.error().message ==
          "template 'shop/orders@1.0.0' has identity_strategy caller_provided: every task must be submitted with an "
          "identity_key");
}

TEST_CASE("identity_key_for: always_unique never deduplicates and refuses a key", "[unit][identity]")
{
    CHECK(identity_key_for(flow, identity_strategy::always_unique, "", context(R"({"a": 1})")).value().empty());
    const auto given = identity_key_for(flow, identity_strategy::always_unique, "order-17", context("{}"));
    REQUIRE_FALSE(given);
    CHECK(given.error() == errc::invalid_request);
    CHECK(given.error().message.find("every submission creates a task") != std::string::npos);
}

TEST_CASE("identity_strategy: names", "[unit][identity]")
{
    std::ostringstream os;
    os << identity_strategy::caller_provided;
    CHECK(os.str() == "caller_provided");
    CHECK(to_string(identity_strategy::always_unique) == "always_unique");
    CHECK(identity_strategy_from_string("strict") == identity_strategy::strict);
    CHECK_FALSE(identity_strategy_from_string("unique"));
}
