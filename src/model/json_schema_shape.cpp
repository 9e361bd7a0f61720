#include "json_schema_shape.hpp"

#include "spelling.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace tasker::detail {

namespace {

// The keywords of draft 7 (validation, core, and the annotations of its meta-schema).
constexpr std::string_view draft7_keywords[] = {
    "$id", "$schema", "$ref", "$comment", "title", "description", "default", "readOnly", "writeOnly",
    "examples", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "additionalItems", "items", "maxItems", "minItems", "uniqueItems", "contains",
    "maxProperties", "minProperties", "required", "additionalProperties", "definitions", "properties",
    "patternProperties", "dependencies", "propertyNames", "const", "enum", "type", "format",
    "contentMediaType", "contentEncoding", "if", "then", "else", "allOf", "anyOf", "oneOf", "not",
};

// Keywords of drafts 2019-09 and 2020-12 that draft 7 does not know: a schema using them would
// check less than its author meant.
constexpr std::string_view later_keywords[] = {
    "$defs", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary",
    "dependentRequired", "dependentSchemas", "prefixItems", "unevaluatedItems", "unevaluatedProperties",
    "minContains", "maxContains",
};

// Annotations of OpenAPI and later drafts that are close to a draft-7 keyword but not a typo.
constexpr std::string_view known_annotations[] = {"example", "nullable", "deprecated"};

constexpr std::string_view type_names[] = {"null", "boolean", "integer", "number", "string", "array", "object"};

bool one_of(std::string_view s, std::span<const std::string_view> words)
{
    return std::find(words.begin(), words.end(), s) != words.end();
}

std::string_view kind_name(const json::value& v)
{
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
    }
    return "a value";
}

bool is_integral(const json::value& v)
{
    if (v.is_int64() || v.is_uint64())
        return true;
    return v.is_double() && std::isfinite(v.get_double()) && std::trunc(v.get_double()) == v.get_double();
}

bool is_non_negative_integer(const json::value& v)
{
    if (v.is_uint64())
        return true;
    if (v.is_int64())
        return v.get_int64() >= 0;
    return is_integral(v) && v.get_double() >= 0;
}

std::string join(const std::string& base, std::string_view key)
{
    return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string index(const std::string& base, std::size_t i) { return base + "[" + std::to_string(i) + "]"; }

} // namespace

const json::value* resolve_pointer(const json::value& document, std::string_view pointer)
{
    std::string decoded;
    for (std::size_t i = 0; i < pointer.size(); ++i) {
        if (pointer[i] == '%' && i + 2 < pointer.size() && std::isxdigit(static_cast<unsigned char>(pointer[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(pointer[i + 2]))) {
            decoded += static_cast<char>(std::stoi(std::string(pointer.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            decoded += pointer[i];
        }
    }
    if (decoded.empty())
        return &document;
    if (decoded.front() != '/')
        return nullptr;
    const json::value* at = &document;
    std::size_t start = 1;
    while (true) {
        const auto end = decoded.find('/', start);
        std::string token = decoded.substr(start, end == std::string::npos ? std::string::npos : end - start);
        for (std::size_t p = 0; (p = token.find('~', p)) != std::string::npos; ++p) {
            if (p + 1 >= token.size() || (token[p + 1] != '0' && token[p + 1] != '1'))
                return nullptr;
            token.replace(p, 2, token[p + 1] == '0' ? "~" : "/");
        }
        if (const auto* o = at->if_object()) {
            const auto it = o->find(token);
            if (it == o->end())
                return nullptr;
            at = &it->value();
        } else if (const auto* a = at->if_array()) {
            std::size_t i = 0;
            const auto [end_of_number, ec] = std::from_chars(token.data(), token.data() + token.size(), i);
            if (token.empty() || ec != std::errc{} || end_of_number != token.data() + token.size() || i >= a->size())
                return nullptr;
            at = &(*a)[i];
        } else {
            return nullptr;
        }
        if (end == std::string::npos)
            return at;
        start = end + 1;
    }
}

namespace {

class shape_checker {
public:

    std::vector<problem> problems;

    // `scope` is the schema that '#' fragments refer to: the nearest one with an "$id".
    void schema(const json::value& s, const std::string& path, const json::value& scope)
    {
        if (s.is_bool())
            return;
        const auto* o = s.if_object();
        if (!o) {
            report(path, "a schema must be an object or a boolean, got " + std::string(kind_name(s)));
            return;
        }
        const json::value* here_scope = &scope;
        if (const auto* id = o->if_contains("$id"); id && id->is_string() && !id->get_string().starts_with("#"))
            here_scope = &s;
        for (const auto& [key_sv, value] : *o)
            keyword(std::string_view(key_sv), value, join(path, key_sv), *here_scope);
    }

private:
    void report(const std::string& path, std::string message) { problems.push_back({path, 0, 0, std::move(message)}); }

    void keyword(std::string_view key, const json::value& v, const std::string& path, const json::value& scope)
    {
        auto need = [&](bool ok, std::string_view what) {
            if (!ok)
                report(path, "must be " + std::string(what) + ", got " + std::string(kind_name(v)));
            return ok;
        };
        if (key == "$id" || key == "$comment" || key == "title" || key == "description" || key == "format" ||
            key == "contentMediaType" || key == "contentEncoding") {
            need(v.is_string(), "a string");
        } else if (key == "$schema") {
            if (need(v.is_string(), "a string"))
                check_draft(v.get_string(), path);
        } else if (key == "$ref") {
            if (need(v.is_string(), "a string"))
                check_ref(v.get_string(), path, scope);
        } else if (key == "readOnly" || key == "writeOnly" || key == "uniqueItems") {
            need(v.is_bool(), "true or false");
        } else if (key == "examples" || key == "enum") {
            need(v.is_array(), "an array");
        } else if (key == "multipleOf") {
            if (need(v.is_number(), "a number") && !(v.to_number<double>() > 0))
                report(path, "must be greater than 0, got " + json::serialize(v));
        } else if (key == "maximum" || key == "exclusiveMaximum" || key == "minimum" || key == "exclusiveMinimum") {
            need(v.is_number(), "a number");
        } else if (key == "maxLength" || key == "minLength" || key == "maxItems" || key == "minItems" ||
                   key == "maxProperties" || key == "minProperties") {
            if (!is_non_negative_integer(v))
                report(path, "must be a non-negative integer, got " + json::serialize(v));
        } else if (key == "pattern") {
            if (need(v.is_string(), "a string"))
                check_regex(v.get_string(), path);
        } else if (key == "additionalItems" || key == "additionalProperties" || key == "contains" ||
                   key == "propertyNames" || key == "not" || key == "if" || key == "then" || key == "else") {
            schema(v, path, scope);
        } else if (key == "items") {
            if (const auto* a = v.if_array())
                for (std::size_t i = 0; i < a->size(); ++i)
                    schema((*a)[i], index(path, i), scope);
            else
                schema(v, path, scope);
        } else if (key == "required") {
            string_list(v, path);
        } else if (key == "properties" || key == "definitions" || key == "patternProperties") {
            if (!need(v.is_object(), "an object mapping names to schemas"))
                return;
            for (const auto& [name, sub] : v.get_object()) {
                if (key == "patternProperties")
                    check_regex(name, join(path, name));
                schema(sub, join(path, name), scope);
            }
        } else if (key == "dependencies") {
            if (!need(v.is_object(), "an object mapping property names to schemas or lists of names"))
                return;
            for (const auto& [name, sub] : v.get_object())
                if (sub.is_array())
                    string_list(sub, join(path, name));
                else
                    schema(sub, join(path, name), scope);
        } else if (key == "type") {
            type(v, path);
        } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
            if (!v.is_array() || v.get_array().empty()) {
                report(path, "must be a non-empty array of schemas");
                return;
            }
            for (std::size_t i = 0; i < v.get_array().size(); ++i)
                schema(v.get_array()[i], index(path, i), scope);
        } else if (key == "const" || key == "default") {
            // any value
        } else if (one_of(key, later_keywords)) {
            report(path, "'" + std::string(key) +
                             "' is a keyword of a later JSON Schema draft; draft 7, which tasker checks, would "
                             "ignore it");
        } else if (!one_of(key, known_annotations) && !key.starts_with("x-")) {
            // Draft 7 ignores unknown keywords; a near miss of a keyword is a typo that would
            // silently check nothing.
            if (auto meant = closest_spelling(key, draft7_keywords, key.size() <= 4 ? 1 : 2))
                report(path, "unknown keyword '" + std::string(key) + "' (did you mean '" + std::string(*meant) +
                                 "'?): draft 7 would ignore it");
        }
    }

    void type(const json::value& v, const std::string& path)
    {
        auto one = [&](const json::value& name, const std::string& where) {
            if (!name.is_string() || !one_of(name.get_string(), type_names))
                report(where, "unknown type " + json::serialize(name) +
                                  " (expected null, boolean, integer, number, string, array or object)");
        };
        if (const auto* a = v.if_array()) {
            std::set<std::string> seen;
            for (std::size_t i = 0; i < a->size(); ++i) {
                one((*a)[i], index(path, i));
                if ((*a)[i].is_string() && !seen.insert(std::string((*a)[i].get_string())).second)
                    report(index(path, i), "type " + json::serialize((*a)[i]) + " is listed twice");
            }
        } else {
            one(v, path);
        }
    }

    void string_list(const json::value& v, const std::string& path)
    {
        const auto* a = v.if_array();
        if (!a) {
            report(path, "must be an array of property names, got " + std::string(kind_name(v)));
            return;
        }
        std::set<std::string> seen;
        for (std::size_t i = 0; i < a->size(); ++i) {
            if (!(*a)[i].is_string())
                report(index(path, i), "must be a property name (a string), got " + std::string(kind_name((*a)[i])));
            else if (!seen.insert(std::string((*a)[i].get_string())).second)
                report(index(path, i), "property " + json::serialize((*a)[i]) + " is listed twice");
        }
    }

    void check_regex(std::string_view pattern, const std::string& path)
    {
        try {
            std::regex compiled(pattern.begin(), pattern.end(), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            report(path, "'" + std::string(pattern) + "' is not a valid regular expression: " + e.what());
        }
    }

    void check_draft(std::string_view uri, const std::string& path)
    {
        std::string_view s = uri;
        if (s.ends_with("#"))
            s.remove_suffix(1);
        if (s.starts_with("https://"))
            s.remove_prefix(8);
        else if (s.starts_with("http://"))
            s.remove_prefix(7);
        if (s != "json-schema.org/draft-07/schema")
            report(path, "'" + std::string(uri) +
                             "' is not JSON Schema draft 7, the draft tasker checks "
                             "(http://json-schema.org/draft-07/schema#)");
    }

    void check_ref(std::string_view ref, const std::string& path, const json::value& scope)
    {
        if (!ref.starts_with("#")) {
            report(path, "$ref '" + std::string(ref) +
                             "' refers to another document, which tasker does not fetch: a schema may refer only "
                             "within itself ('#/definitions/...')");
            return;
        }
        const auto fragment = ref.substr(1);
        if (!fragment.empty() && fragment.front() != '/') { // a plain name, defined by an "$id": "#name"
            report(path, "$ref '" + std::string(ref) +
                             "' refers to a schema by the name its \"$id\" gives it, which valijson does not "
                             "resolve: refer to it by its JSON pointer ('#/definitions/...')");
            return;
        }
        if (!resolve_pointer(scope, fragment))
            report(path, "$ref '" + std::string(ref) + "' refers to nothing in this schema");
    }
};

} // namespace

std::vector<problem> check_schema_shape(const json::value& schema)
{
    shape_checker c;
    c.schema(schema, "", schema);
    return std::move(c.problems);
}

} // namespace tasker::detail
