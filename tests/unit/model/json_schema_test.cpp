#include <tasker/model/json_schema.hpp>

#include "support/catch.hpp"

#include <string>

using namespace tasker;

namespace {

json_schema compile(std::string_view text)
{
    auto s = json_schema::compile(parse_json(text).value());
    REQUIRE(s);
    return *s;
}

std::vector<std::string> paths(const result<void>& r)
{
    std::vector<std::string> out;
    for (const auto& p : r.error().problems)
        out.push_back(p.path);
    return out;
}

} // namespace

TEST_CASE("json_schema: types, including integer-valued numbers and type lists", "[unit][json_schema]")
{
    const auto s = compile(R"({"type": "object", "properties": {
        "i": {"type": "integer"}, "n": {"type": "number"}, "s": {"type": "string"},
        "b": {"type": "boolean"}, "a": {"type": "array"}, "o": {"type": "object"},
        "z": {"type": "null"}, "either": {"type": ["string", "null"]}}})");
    CHECK(s.validate(parse_json(R"({"i": 3, "n": 2.5, "s": "x", "b": true, "a": [], "o": {}, "z": null,
                                    "either": null})").value()));
    CHECK(s.validate(parse_json(R"({"i": 3.0, "n": 7, "either": "text"})").value())); // 3.0 is an integer

    auto bad = s.validate(parse_json(R"({"i": 3.5, "n": "7", "s": 1, "b": "true", "a": {}, "o": [], "z": 0,
                                         "either": 1})").value());
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::invalid_context);
    CHECK(paths(bad) == std::vector<std::string>{"$.i", "$.n", "$.s", "$.b", "$.a", "$.o", "$.z", "$.either"});
    CHECK(bad.error().problems[0].message == "expected integer, got number");
    CHECK(bad.error().problems[7].message == "expected null or string, got integer");
    CHECK(bad.error().message.find("8 violations") != std::string::npos);
}

TEST_CASE("json_schema: every violation is reported with its JSON path", "[unit][json_schema]")
{
    const auto s = compile(R"({"type": "object", "required": ["customer", "items"], "properties": {
        "customer": {"type": "object", "required": ["email"],
                     "properties": {"email": {"type": "string", "minLength": 3}}},
        "items": {"type": "array", "items": {"type": "object", "required": ["sku"],
                  "properties": {"qty": {"type": "integer", "minimum": 1, "maximum": 10}}}}}})");
    auto r = s.validate(parse_json(R"({"customer": {"email": "a"},
        "items": [{"sku": "x", "qty": 1}, {"qty": 0}, {"sku": "y", "qty": 11}]})").value());
    REQUIRE_FALSE(r);
    CHECK(paths(r) == std::vector<std::string>{"$.customer.email", "$.items[1].sku", "$.items[1].qty", "$.items[2].qty"});
    CHECK(r.error().problems[0].message == "string of 1 characters is shorter than minLength 3");
    CHECK(r.error().problems[1].message == "required property 'sku' is missing");
    CHECK(r.error().problems[2].message == "value 0 is less than the minimum 1");
    CHECK(r.error().problems[3].message == "value 11 is greater than the maximum 10");

    auto missing = s.validate(json::object{});
    REQUIRE_FALSE(missing);
    CHECK(paths(missing) == std::vector<std::string>{"$.customer", "$.items"});

    auto not_object = s.validate(json::value("text"));
    REQUIRE_FALSE(not_object);
    CHECK(paths(not_object) == std::vector<std::string>{"$"});
}

TEST_CASE("json_schema: enum, boundaries and string length in code points", "[unit][json_schema]")
{
    const auto s = compile(R"({"properties": {
        "method": {"enum": ["card", "paypal", 3]},
        "n": {"minimum": 0, "maximum": 1.5},
        "name": {"type": "string", "minLength": 2, "maxLength": 3}}})");
    CHECK(s.validate(parse_json(R"({"method": "card", "n": 0, "name": "ab"})").value()));
    CHECK(s.validate(parse_json(R"({"method": 3, "n": 1.5, "name": "abc"})").value()));
    CHECK(s.validate(parse_json(R"({"name": "ñé"})").value())); // two characters, four bytes
    CHECK(s.validate(parse_json(R"({"name": "日本語"})").value()));

    auto r = s.validate(parse_json(R"({"method": "cash", "n": -0.5, "name": "abcd"})").value());
    REQUIRE_FALSE(r);
    REQUIRE(r.error().problems.size() == 3);
    CHECK(r.error().problems[0].message == R"(value "cash" is not one of ["card","paypal",3])");
    CHECK(r.error().problems[1].message == "value -0.5 is less than the minimum 0");
    CHECK(r.error().problems[2].message == "string of 4 characters is longer than maxLength 3");
    CHECK_FALSE(s.validate(parse_json(R"({"name": "日本語x"})").value()));
}

TEST_CASE("json_schema: additionalProperties as boolean and as schema", "[unit][json_schema]")
{
    const auto closed = compile(R"({"properties": {"a": {}}, "additionalProperties": false})");
    CHECK(closed.validate(parse_json(R"({"a": 1})").value()));
    auto extra = closed.validate(parse_json(R"({"a": 1, "b": 2, "c": 3})").value());
    REQUIRE_FALSE(extra);
    CHECK(paths(extra) == std::vector<std::string>{"$.b", "$.c"});
    CHECK(extra.error().problems[0].message == "property 'b' is not allowed here");

    const auto typed = compile(R"({"properties": {"a": {}}, "additionalProperties": {"type": "integer"}})");
    CHECK(typed.validate(parse_json(R"({"a": "x", "b": 2})").value()));
    auto wrong = typed.validate(parse_json(R"({"b": "two"})").value());
    REQUIRE_FALSE(wrong);
    CHECK(paths(wrong) == std::vector<std::string>{"$.b"});
}

TEST_CASE("json_schema: annotations are accepted, anything else is reported by path", "[unit][json_schema]")
{
    CHECK(json_schema::compile(parse_json(R"({"$schema": "x", "title": "t", "description": "d",
        "properties": {"email": {"type": "string", "format": "email", "default": "a@b", "examples": []}}})").value()));

    auto r = json_schema::compile(parse_json(R"({"type": "objekt", "required": "a", "oneOf": [],
        "properties": {"x": {"minimum": "1", "maxLength": -1, "enum": []}, "y": 3},
        "additionalProperties": 1, "minimum": 5, "maximum": 1})").value());
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_template);
    std::vector<std::string> where;
    for (const auto& p : r.error().problems)
        where.push_back(p.path);
    CHECK(where == std::vector<std::string>{"type", "required", "oneOf", "properties.x.minimum",
                                            "properties.x.maxLength", "properties.x.enum", "properties.y",
                                            "additionalProperties", "minimum"});
    CHECK(r.error().problems[0].message.find("unknown type \"objekt\"") == 0);
    CHECK(r.error().problems[2].message.find("unsupported JSON Schema keyword 'oneOf'") == 0);
    CHECK(r.error().problems[8].message == "minimum 5 is above maximum 1");

    CHECK_FALSE(json_schema::compile(json::value(3)));
}

TEST_CASE("json_schema: an empty schema and a default-constructed one accept anything", "[unit][json_schema]")
{
    const auto any = compile("{}");
    CHECK(any.validate(json::value(nullptr)));
    CHECK(any.validate(parse_json(R"([1, {"a": "b"}])").value()));
    CHECK(json_schema{}.validate(json::value(42)));
}
