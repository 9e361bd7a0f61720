// json_schema as templates use it: what compiles, what is refused with its location, and how
// violations read. The draft as a whole is proven by json_schema_suite_test.cpp.
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

std::vector<std::string> paths(const std::vector<problem>& ps)
{
    std::vector<std::string> out;
    for (const auto& p : ps)
        out.push_back(p.path);
    return out;
}

std::vector<std::string> paths(const result<void>& r) { return paths(r.error().problems); }

/// The problems of a schema that does not compile.
std::vector<problem> refused(std::string_view text)
{
    auto r = json_schema::compile(parse_json(text).value());
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_template);
    return r.error().problems;
}

std::vector<problem> violations(const json_schema& s, std::string_view instance)
{
    return s.violations(parse_json(instance).value());
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
    // In the order the value is written.
    CHECK(paths(bad) == std::vector<std::string>{"$.i", "$.n", "$.s", "$.b", "$.a", "$.o", "$.z", "$.either"});
    CHECK(bad.error().problems[0].message == "expected integer, got number");
    CHECK(bad.error().problems[7].message == "expected null or string, got integer");
    CHECK(bad.error().message == "the task context does not match the template's input_schema (8 violations)");
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
    // A missing property comes after those present.
    CHECK(paths(r) == std::vector<std::string>{"$.customer.email", "$.items[1].qty", "$.items[1].sku", "$.items[2].qty"});
    CHECK(r.error().problems[0].message == "string of 1 characters is shorter than minLength 3");
    CHECK(r.error().problems[1].message == "value 0 is less than the minimum 1");
    CHECK(r.error().problems[2].message == "required property 'sku' is missing");
    CHECK(r.error().problems[3].message == "value 11 is greater than the maximum 10");

    auto missing = s.validate(json::object{});
    REQUIRE_FALSE(missing);
    CHECK(paths(missing) == std::vector<std::string>{"$.customer", "$.items"});

    auto not_object = s.validate(json::value("text"));
    REQUIRE_FALSE(not_object);
    CHECK(paths(not_object) == std::vector<std::string>{"$"});
    CHECK(not_object.error().problems[0].message == "expected object, got string");

    // Keys that are not plain names are quoted; indices sort as numbers.
    const auto odd = compile(R"({"properties": {"first name": {"type": "string"}},
                                 "additionalProperties": {"type": "array", "items": {"type": "integer"}}})");
    auto o = violations(odd, R"({"first name": 1, "list": [0, 1, 2, 3, 4, 5, 6, 7, 8, "9", "10"]})");
    CHECK(paths(o) == std::vector<std::string>{R"($["first name"])", "$.list[9]", "$.list[10]"});
}

TEST_CASE("json_schema: enum, const, bounds, patterns and string length in code points", "[unit][json_schema]")
{
    const auto s = compile(R"({"properties": {
        "method": {"enum": ["card", "paypal", 3]},
        "n": {"minimum": 0, "maximum": 1.5},
        "x": {"exclusiveMinimum": 0, "exclusiveMaximum": 10, "multipleOf": 2},
        "name": {"type": "string", "minLength": 2, "maxLength": 3},
        "code": {"pattern": "^[A-Z]{3}$"},
        "v": {"const": 1}}})");
    CHECK(s.validate(parse_json(R"({"method": "card", "n": 0, "name": "ab", "x": 4, "code": "EUR", "v": 1.0})").value()));
    CHECK(s.validate(parse_json(R"({"method": 3, "n": 1.5, "name": "abc"})").value()));
    CHECK(s.validate(parse_json(R"({"name": "ñé"})").value())); // two characters, four bytes
    CHECK(s.validate(parse_json(R"({"name": "日本語"})").value()));
    CHECK(s.validate(parse_json(R"({"method": 3.0})").value())); // numbers compare by value

    auto r = s.validate(parse_json(R"({"method": "cash", "n": -0.5, "name": "abcd", "x": 10, "code": "eur",
                                       "v": 2})").value());
    REQUIRE_FALSE(r);
    REQUIRE(r.error().problems.size() == 6);
    CHECK(r.error().problems[0].message == R"(value "cash" is not one of ["card","paypal",3])");
    CHECK(r.error().problems[1].message == "value -0.5 is less than the minimum 0");
    CHECK(r.error().problems[2].message == "string of 4 characters is longer than maxLength 3");
    CHECK(r.error().problems[3].message == "value 10 is not less than the exclusive maximum 10");
    CHECK(r.error().problems[4].message == R"(string "eur" does not match the pattern "^[A-Z]{3}$")");
    CHECK(r.error().problems[5].message == "value 2 is not the schema's 'const' value");
    CHECK_FALSE(s.validate(parse_json(R"({"name": "日本語x"})").value()));
    CHECK_FALSE(s.validate(parse_json(R"({"x": 3})").value())); // not a multiple of 2
}

TEST_CASE("json_schema: additionalProperties false names every extra property", "[unit][json_schema]")
{
    const auto closed = compile(R"({"properties": {"a": {}}, "patternProperties": {"^x-": {}},
                                    "additionalProperties": false})");
    CHECK(closed.validate(parse_json(R"({"a": 1, "x-trace": 2})").value()));
    auto extra = closed.validate(parse_json(R"({"a": 1, "b": 2, "x-ok": 0, "c": 3})").value());
    REQUIRE_FALSE(extra);
    CHECK(paths(extra) == std::vector<std::string>{"$.b", "$.c"});
    CHECK(extra.error().problems[0].message == "property 'b' is not allowed here");

    const auto typed = compile(R"({"properties": {"a": {}}, "additionalProperties": {"type": "integer"}})");
    CHECK(typed.validate(parse_json(R"({"a": "x", "b": 2})").value()));
    auto wrong = typed.validate(parse_json(R"({"b": "two"})").value());
    REQUIRE_FALSE(wrong);
    CHECK(paths(wrong) == std::vector<std::string>{"$.b"});
}

TEST_CASE("json_schema: draft 7 in full: $ref within the document, combinators, conditionals", "[unit][json_schema]")
{
    const auto s = compile(R"({
        "definitions": {
            "money": {"type": "object", "required": ["amount", "currency"],
                      "properties": {"amount": {"type": "number", "minimum": 0},
                                     "currency": {"$ref": "#/definitions/currency"}}},
            "currency": {"enum": ["EUR", "USD"]},
            "node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}
        },
        "type": "object",
        "properties": {
            "total": {"$ref": "#/definitions/money"},
            "tree": {"$ref": "#/definitions/node"},
            "id": {"anyOf": [{"type": "integer"}, {"type": "string", "format": "date-time"}]},
            "kind": {"oneOf": [{"const": "a"}, {"const": "b"}]},
            "tag": {"not": {"const": "forbidden"}},
            "card": {"allOf": [{"required": ["number"]}, {"required": ["expiry"]}]}
        },
        "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
        "then": {"required": ["total"]},
        "propertyNames": {"maxLength": 8},
        "dependencies": {"card": ["total"]}
    })");
    CHECK(s.validate(parse_json(R"({"kind": "a", "total": {"amount": 3, "currency": "EUR"},
        "tree": {"children": [{"children": []}]}, "id": "2024-01-31T10:00:00Z"})").value()));
    CHECK(s.validate(parse_json(R"({"kind": "b", "id": 7})").value()));

    auto bad = violations(s, R"({"total": {"amount": -1, "currency": "GBP"}, "kind": "a", "id": "yesterday",
                                 "tree": {"children": [{"children": 3}]}})");
    const auto where = paths(bad);
    for (auto expected : {"$.total.amount", "$.total.currency", "$.id", "$.tree.children[0].children"})
        CHECK(std::find(where.begin(), where.end(), expected) != where.end());

    CHECK_FALSE(violations(s, R"({"kind": "a"})").empty());                      // if kind is a, then total
    CHECK_FALSE(violations(s, R"({"kind": "c"})").empty());                      // oneOf
    CHECK_FALSE(violations(s, R"({"tag": "forbidden"})").empty());               // not
    CHECK_FALSE(violations(s, R"({"card": {"number": 1}, "total": {}})").empty()); // allOf
    CHECK_FALSE(violations(s, R"({"card": {"number": 1, "expiry": 2}})").empty()); // dependencies
    CHECK_FALSE(violations(s, R"({"much_too_long_name": 1})").empty());          // propertyNames

    // Boolean schemas: true accepts anything, false nothing (and says so).
    CHECK(compile("true").validate(json::value(1)));
    const auto none = compile("false");
    auto refusal = none.validate(json::object{});
    REQUIRE_FALSE(refusal);
    CHECK(paths(refusal) == std::vector<std::string>{"$"});
}

TEST_CASE("json_schema: a schema is refused where it is wrong, all problems at once", "[unit][json_schema]")
{
    // Annotations and keywords draft 7 ignores by design are fine.
    CHECK(json_schema::compile(parse_json(R"({"$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "http://example.com/order", "$comment": "c", "title": "t", "description": "d",
        "properties": {"email": {"type": "string", "format": "email", "default": "a@b", "examples": [],
                                 "readOnly": true, "x-owner": "billing", "example": "a@b"}}})").value()));

    auto problems = refused(R"({"type": "objekt", "required": "a", "oneOf": [],
        "properties": {"x": {"minimum": "1", "maxLength": -1, "pattern": "(unclosed"}, "y": 3},
        "additionalProperties": 1, "multipleOf": 0, "items": [{"type": "string"}, 7]})");
    CHECK(paths(problems) == std::vector<std::string>{"type", "required", "oneOf", "properties.x.minimum",
                                                      "properties.x.maxLength", "properties.x.pattern", "properties.y",
                                                      "additionalProperties", "multipleOf", "items[1]"});
    CHECK(problems[0].message.find("unknown type \"objekt\"") == 0);
    CHECK(problems[2].message == "must be a non-empty array of schemas");
    CHECK(problems[3].message == "must be a number, got a string");
    CHECK(problems[5].message.find("'(unclosed' is not a valid regular expression") == 0);
    CHECK(problems[6].message == "a schema must be an object or a boolean, got a number");

    CHECK(paths(refused("3")) == std::vector<std::string>{""});
}

TEST_CASE("json_schema: references stay within the document and must resolve", "[unit][json_schema]")
{
    auto remote = refused(R"({"properties": {"a": {"$ref": "https://example.com/schemas/a.json"}}})");
    CHECK(paths(remote) == std::vector<std::string>{"properties.a.$ref"});
    CHECK(remote[0].message.find("refers to another document, which tasker does not fetch") != std::string::npos);

    auto dangling = refused(R"({"properties": {"a": {"$ref": "#/definitions/nothing"}}})");
    CHECK(dangling[0].message == "$ref '#/definitions/nothing' refers to nothing in this schema");

    // A location-independent name ("$id": "#item") is not resolved: refused, pointing the way.
    auto named = refused(R"({"definitions": {"a": {"$id": "#item"}}, "$ref": "#item"})");
    CHECK(paths(named) == std::vector<std::string>{"$ref"});
    CHECK(named[0].message.find("refer to it by its JSON pointer") != std::string::npos);

    // A JSON pointer with escapes, percent-encoded characters, the root.
    const auto s = compile(R"({"definitions": {"a/b": {"type": "integer"}, "c d": {"type": "string"}},
                               "properties": {"x": {"$ref": "#/definitions/a~1b"}, "y": {"$ref": "#/definitions/c%20d"},
                                              "self": {"$ref": "#"}}})");
    CHECK(s.validate(parse_json(R"({"x": 1, "y": "s", "self": {"x": 2}})").value()));
    CHECK_FALSE(s.validate(parse_json(R"({"x": "1"})").value()));
    CHECK_FALSE(s.validate(parse_json(R"({"y": 1})").value()));
    CHECK_FALSE(s.validate(parse_json(R"({"self": {"x": "2"}})").value()));

    // A property called $ref is a property, not a reference.
    CHECK(json_schema::compile(parse_json(R"({"properties": {"$ref": {"type": "string"}}})").value()));
}

TEST_CASE("json_schema: keywords draft 7 would silently ignore are refused", "[unit][json_schema]")
{
    auto later = refused(R"({"$defs": {}, "properties": {"a": {"dependentRequired": {"a": ["b"]}}}})");
    CHECK(paths(later) == std::vector<std::string>{"$defs", "properties.a.dependentRequired"});
    CHECK(later[0].message.find("a keyword of a later JSON Schema draft") != std::string::npos);

    auto typo = refused(R"({"requried": ["a"], "properties": {"a": {"minLenght": 1}}})");
    CHECK(paths(typo) == std::vector<std::string>{"requried", "properties.a.minLenght"});
    CHECK(typo[0].message == "unknown keyword 'requried' (did you mean 'required'?): draft 7 would ignore it");

    auto other_draft = refused(R"({"$schema": "http://json-schema.org/draft-04/schema#"})");
    CHECK(other_draft[0].message.find("is not JSON Schema draft 7") != std::string::npos);
}

TEST_CASE("json_schema: an empty schema and a default-constructed one accept anything", "[unit][json_schema]")
{
    const auto any = compile("{}");
    CHECK(any.validate(json::value(nullptr)));
    CHECK(any.validate(parse_json(R"([1, {"a": "b"}])").value()));
    CHECK(json_schema{}.validate(json::value(42)));
    CHECK(json_schema{}.violations(json::value(42)).empty());
}
