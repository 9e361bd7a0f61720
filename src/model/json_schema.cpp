// JSON Schema draft 7 through valijson: the shape of a schema is checked first
// (json_schema_shape.cpp) so that its problems are located; valijson compiles and validates;
// its findings become problems located by JSON paths, worded for people.
#include <tasker/model/json_schema.hpp>

#include "json_schema_shape.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

// valijson reports a schema it cannot compile by throwing, not by aborting the process.
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>

namespace tasker {

struct json_schema::compiled {
    json::value document; ///< the schema as compiled (see `integral_numbers_as_integers`)
    valijson::Schema schema;
};

namespace {

constexpr std::string_view type_names[] = {"null", "boolean", "integer", "number", "string", "array", "object"};

// Whether `integral_numbers_as_integers` would change `v`.
bool needs_normalizing(const json::value& v)
{
    switch (v.kind()) {
    case json::kind::uint64: return true;
    case json::kind::double_: {
        const double d = v.get_double();
        return std::trunc(d) == d && std::abs(d) < 9.2e18;
    }
    case json::kind::array:
        return std::any_of(v.get_array().begin(), v.get_array().end(), needs_normalizing);
    case json::kind::object:
        return std::any_of(v.get_object().begin(), v.get_object().end(),
                           [](const auto& kv) { return needs_normalizing(kv.value()); });
    default: return false;
    }
}

// Draft 7 counts a number with a zero fractional part (3.0) as an integer, and compares numbers
// by value (1.0 == 1 for enum, const and uniqueItems); valijson goes by how the number was
// written. Both hold once such numbers are integers, in schemas and in the values checked.
// Integers above int64's range (Boost.JSON's uint64) become doubles: valijson's Boost.JSON
// adapter reads no uint64.
json::value integral_numbers_as_integers(const json::value& v)
{
    switch (v.kind()) {
    case json::kind::uint64: return static_cast<double>(v.get_uint64());
    case json::kind::double_: {
        const double d = v.get_double();
        if (std::trunc(d) == d && std::abs(d) < 9.2e18)
            return static_cast<std::int64_t>(d);
        return v;
    }
    case json::kind::array: {
        json::array a;
        a.reserve(v.get_array().size());
        for (const auto& x : v.get_array())
            a.push_back(integral_numbers_as_integers(x));
        return a;
    }
    case json::kind::object: {
        json::object o;
        o.reserve(v.get_object().size());
        for (const auto& kv : v.get_object())
            o.emplace(kv.key(), integral_numbers_as_integers(kv.value()));
        return o;
    }
    default: return v;
    }
}

// Shortest round-trip form ("0.5", "1e+20"); Boost.JSON would print 5E-1.
std::string number_text(double d)
{
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(d);
}

// A value as a message quotes it: compact JSON, cut short when long.
std::string value_text(const json::value& v)
{
    std::string s = v.is_double() ? number_text(v.get_double()) : json::serialize(v);
    if (s.size() > 60)
        s = s.substr(0, 57) + "...";
    return s;
}

std::string_view kind_name(const json::value& v)
{
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    }
    return "value";
}

std::size_t code_points(std::string_view s)
{
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

bool is_plain_name(std::string_view key)
{
    if (key.empty() || !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_'))
        return false;
    return std::all_of(key.begin(), key.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// `$.name`, or `$["odd name"]` for a key that is not a plain name.
std::string member_path(const std::string& base, std::string_view key)
{
    return is_plain_name(key) ? base + "." + std::string(key) : base + "[" + json::serialize(json::string(key)) + "]";
}

/// Where a valijson error points: the JSON path and the value there. valijson's context is
/// "<root>" then one "[token]" per step, the same for a member and an index; the instance
/// says which it is.
struct location {
    std::string path = "$";
    const json::value* value = nullptr;
};

location locate(const json::value& instance, const std::vector<std::string>& context)
{
    location at{"$", &instance};
    for (std::size_t i = 1; i < context.size(); ++i) {
        const auto& step = context[i];
        const std::string token = step.size() >= 2 && step.front() == '[' && step.back() == ']'
                                      ? step.substr(1, step.size() - 2)
                                      : step;
        const json::value* next = nullptr;
        if (at.value && at.value->is_array()) {
            std::size_t index = 0;
            const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
            if (ec == std::errc{} && end == token.data() + token.size() && index < at.value->get_array().size())
                next = &at.value->get_array()[index];
            at.path += "[" + token + "]";
        } else {
            if (at.value && at.value->is_object())
                if (const auto* v = at.value->get_object().if_contains(token))
                    next = v;
            at.path = member_path(at.path, token);
        }
        at.value = next;
    }
    return at;
}

/// The subschema that applies directly at `context` (through properties, patternProperties,
/// additionalProperties, items and local $refs), for the details a message quotes: the
/// allowed types, the enum. Null when it cannot be told (combinators, boolean schemas).
const json::object* schema_at(const json::value& root, const json::value& instance,
                              const std::vector<std::string>& context)
{
    auto follow = [&](const json::value* s) -> const json::object* {
        for (int hops = 0; s && hops < 32; ++hops) {
            const auto* o = s->if_object();
            if (!o)
                return nullptr;
            const auto* ref = o->if_contains("$ref");
            if (!ref || !ref->is_string())
                return o;
            const std::string_view r = ref->get_string();
            s = r.starts_with("#/") || r == "#" ? detail::resolve_pointer(root, r.substr(1)) : nullptr;
        }
        return nullptr;
    };
    const json::object* s = follow(&root);
    const json::value* v = &instance;
    for (std::size_t i = 1; s && v && i < context.size(); ++i) {
        const auto& step = context[i];
        const std::string token = step.size() >= 2 ? step.substr(1, step.size() - 2) : step;
        const json::value* next_schema = nullptr;
        if (const auto* a = v->if_array()) {
            std::size_t index = 0;
            std::from_chars(token.data(), token.data() + token.size(), index);
            v = index < a->size() ? &(*a)[index] : nullptr;
            if (const auto* items = s->if_contains("items")) {
                if (const auto* list = items->if_array())
                    next_schema = index < list->size() ? &(*list)[index] : s->if_contains("additionalItems");
                else
                    next_schema = items;
            }
        } else if (const auto* o = v->if_object()) {
            v = o->if_contains(token);
            const auto* properties = s->if_contains("properties");
            if (properties && properties->is_object())
                next_schema = properties->get_object().if_contains(token);
            if (!next_schema)
                if (const auto* patterns = s->if_contains("patternProperties"); patterns && patterns->is_object())
                    for (const auto& [pattern, sub] : patterns->get_object())
                        if (!next_schema && std::regex_search(token, std::regex(std::string(pattern))))
                            next_schema = &sub;
            if (!next_schema)
                next_schema = s->if_contains("additionalProperties");
        } else {
            return nullptr;
        }
        s = follow(next_schema);
    }
    return s;
}

/// "null or string": the types a subschema allows, in JSON Schema's order.
std::optional<std::string> allowed_types(const json::object* s)
{
    const auto* type = s ? s->if_contains("type") : nullptr;
    if (!type)
        return std::nullopt;
    std::string out;
    for (auto name : type_names) {
        const bool listed = type->is_string() ? type->get_string() == name
                                              : type->is_array() && std::any_of(type->get_array().begin(),
                                                                                type->get_array().end(),
                                                                                [&](const json::value& t) {
                                                                                    return t.is_string() &&
                                                                                           t.get_string() == name;
                                                                                });
        if (listed)
            out += (out.empty() ? "" : " or ") + std::string(name);
    }
    return out.empty() ? std::nullopt : std::optional(out);
}

/// The number valijson printed after `prefix` (std::to_string form), reprinted shortest.
std::optional<std::string> number_after(std::string_view text, std::string_view prefix)
{
    if (!text.starts_with(prefix))
        return std::nullopt;
    const std::string rest(text.substr(prefix.size()));
    char* end = nullptr;
    const double d = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str())
        return std::nullopt;
    return number_text(d);
}

/// The text between the first pair of single quotes after `prefix`.
std::optional<std::string> quoted_after(std::string_view text, std::string_view prefix)
{
    const auto at = text.find(prefix);
    if (at == std::string_view::npos)
        return std::nullopt;
    const auto open = text.find('\'', at + prefix.size() - 1);
    const auto close = text.rfind('\'');
    if (open == std::string_view::npos || close <= open)
        return std::nullopt;
    return std::string(text.substr(open + 1, close - open - 1));
}

/// The members of `object` that `schema` (with additionalProperties false) does not allow:
/// valijson names only the first, `first`.
std::vector<std::string> unwanted_properties(const json::object* schema, const json::value* object,
                                             const std::string& first)
{
    const auto* addl = schema ? schema->if_contains("additionalProperties") : nullptr;
    if (!addl || !addl->is_bool() || addl->get_bool() || !object || !object->is_object())
        return {first};
    const auto* properties = schema->if_contains("properties");
    const auto* patterns = schema->if_contains("patternProperties");
    std::vector<std::string> out;
    for (const auto& kv : object->get_object()) {
        const std::string name(kv.key());
        bool allowed = properties && properties->is_object() && properties->get_object().contains(name);
        if (!allowed && patterns && patterns->is_object())
            for (const auto& p : patterns->get_object())
                allowed = allowed || std::regex_search(name, std::regex(std::string(p.key())));
        if (!allowed)
            out.push_back(name);
    }
    return std::find(out.begin(), out.end(), first) == out.end() ? std::vector<std::string>{first} : out;
}

// Errors that only say a child failed: the child's own errors say how.
constexpr std::string_view wrapper_prefixes[] = {
    "Failed to validate against schema associated with property name",
    "Failed to validate item #",
    "Failed to validate against additional properties schema",
    "Failed to validate against schema associated with pattern",
    "Failed to validate against child schema #",
    "Failed to validate against dependent schema",
};

bool is_wrapper(std::string_view description)
{
    return std::any_of(std::begin(wrapper_prefixes), std::end(wrapper_prefixes),
                       [&](std::string_view p) { return description.starts_with(p); });
}

bool starts_with(const std::vector<std::string>& context, const std::vector<std::string>& prefix)
{
    return context.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), context.begin());
}

/// One valijson error as problems (more than one when valijson names only the first property
/// an object may not have): located, in tasker's words where it has them.
std::vector<problem> translate(const json::value& schema, const json::value& instance,
                               const valijson::ValidationResults::Error& e)
{
    auto at = locate(instance, e.context);
    const json::object* sub = schema_at(schema, instance, e.context);
    const std::string_view d = e.description;
    const std::string v = at.value ? value_text(*at.value) : std::string("the value");
    std::string message;
    if (auto name = quoted_after(d, "Missing required property '")) {
        at.path = member_path(at.path, *name);
        message = "required property '" + *name + "' is missing";
    } else if (auto extra = quoted_after(d, "or 'additionalProperties' constraints: '")) {
        std::vector<problem> out;
        for (const auto& unwanted : unwanted_properties(sub, at.value, *extra))
            out.push_back({member_path(at.path, unwanted), 0, 0, "property '" + unwanted + "' is not allowed here"});
        return out;
    } else if (d.starts_with("Value type not permitted by 'type' constraint")) {
        const std::string got = at.value ? std::string(kind_name(*at.value)) : std::string("nothing");
        if (auto expected = allowed_types(sub))
            message = "expected " + *expected + ", got " + got;
        else
            message = "value " + v + " is of type " + got + ", which the schema does not allow here";
    } else if (d.starts_with("Failed to match against any enum values")) {
        const auto* allowed = sub ? sub->if_contains("enum") : nullptr;
        message = "value " + v + " is not one of " +
                  (allowed ? json::serialize(*allowed) : std::string("the schema's 'enum' values"));
    } else if (d.starts_with("Failed to match expected value set by 'const' constraint")) {
        message = "value " + v + " is not the schema's 'const' value";
    } else if (auto ge = number_after(d, "Expected number greater than or equal to ")) {
        message = "value " + v + " is less than the minimum " + *ge;
    } else if (auto gt = number_after(d, "Expected number greater than ")) {
        message = "value " + v + " is not greater than the exclusive minimum " + *gt;
    } else if (auto le = number_after(d, "Expected number less than or equal to ")) {
        message = "value " + v + " is greater than the maximum " + *le;
    } else if (auto lt = number_after(d, "Expected number less than ")) {
        message = "value " + v + " is not less than the exclusive maximum " + *lt;
    } else if (auto fewer = number_after(d, "String should be no fewer than "); fewer && at.value && at.value->is_string()) {
        message = "string of " + std::to_string(code_points(at.value->get_string())) +
                  " characters is shorter than minLength " + *fewer;
    } else if (auto more = number_after(d, "String should be no more than "); more && at.value && at.value->is_string()) {
        message = "string of " + std::to_string(code_points(at.value->get_string())) +
                  " characters is longer than maxLength " + *more;
    } else if (d.starts_with("Failed to match regex specified by 'pattern' constraint")) {
        const auto* pattern = sub ? sub->if_contains("pattern") : nullptr;
        message = "string " + v + " does not match the pattern " +
                  (pattern ? json::serialize(*pattern) : std::string("of the schema"));
    } else {
        message = std::string(d);
        if (!message.empty() && message.back() == '.')
            message.pop_back();
        if (!message.empty())
            message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    }
    return {problem{std::move(at.path), 0, 0, std::move(message)}};
}

/// Where a path leads in `instance`, as a sort key: per step, the member's position in its
/// object (a missing one after those present) or the element's index, then the name.
std::vector<std::pair<std::size_t, std::string>> document_order(const json::value& instance, std::string_view path)
{
    std::vector<std::pair<std::size_t, std::string>> key;
    const json::value* at = &instance;
    std::size_t i = 1; // after '$'
    while (i < path.size()) {
        std::string name;
        std::optional<std::size_t> index;
        if (path[i] == '.') {
            const auto end = path.find_first_of(".[", i + 1);
            name = std::string(path.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1));
            i = end == std::string_view::npos ? path.size() : end;
        } else if (i + 1 < path.size() && path[i + 1] == '"') { // ["odd name"]
            const auto end = path.find("\"]", i + 2);
            std::error_code ec;
            const auto parsed = json::parse(path.substr(i + 1, end + 1 - (i + 1)), ec);
            name = !ec && parsed.is_string() ? std::string(parsed.get_string()) : std::string();
            i = end == std::string_view::npos ? path.size() : end + 2;
        } else { // [index]
            const auto end = path.find(']', i);
            std::size_t n = 0;
            std::from_chars(path.data() + i + 1, path.data() + end, n);
            index = n;
            i = end == std::string_view::npos ? path.size() : end + 1;
        }
        if (index) {
            key.emplace_back(*index, std::string());
            at = at && at->is_array() && *index < at->get_array().size() ? &at->get_array()[*index] : nullptr;
            continue;
        }
        std::size_t rank = std::numeric_limits<std::size_t>::max();
        const json::value* next = nullptr;
        if (const auto* o = at ? at->if_object() : nullptr) {
            std::size_t position = 0;
            for (auto it = o->begin(); it != o->end(); ++it, ++position)
                if (it->key() == name) {
                    rank = position, next = &it->value();
                    break;
                }
        }
        key.emplace_back(rank, std::move(name));
        at = next;
    }
    return key;
}

} // namespace

result<json_schema> json_schema::compile(const json::value& schema)
{
    auto problems = detail::check_schema_shape(schema);
    auto c = std::make_shared<compiled>();
    if (problems.empty()) {
        c->document = needs_normalizing(schema) ? integral_numbers_as_integers(schema) : schema;
        try {
            valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
            parser.populateSchema(valijson::adapters::BoostJsonAdapter(c->document), c->schema);
        } catch (const std::exception& e) {
            problems.push_back({"", 0, 0, std::string("the schema does not compile: ") + e.what()});
        }
    }
    if (!problems.empty()) {
        const auto n = problems.size();
        return error{errc::invalid_template,
                     "the schema has " + std::to_string(n) + (n == 1 ? " problem" : " problems"),
                     std::move(problems)};
    }
    json_schema s;
    s.compiled_ = std::move(c);
    return s;
}

std::vector<problem> json_schema::violations(const json::value& value) const
{
    std::vector<problem> out;
    if (!compiled_)
        return out;
    std::optional<json::value> normalized;
    if (needs_normalizing(value))
        normalized = integral_numbers_as_integers(value);
    const json::value& instance = normalized ? *normalized : value;
    // A validator caches the regular expressions it compiles: one per call keeps
    // concurrent validations apart.
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    try {
        if (validator.validate(compiled_->schema, valijson::adapters::BoostJsonAdapter(instance), &results))
            return out;
    } catch (const std::exception& e) {
        out.push_back({"$", 0, 0, std::string("the value cannot be checked against the schema: ") + e.what()});
        return out;
    }
    std::vector<valijson::ValidationResults::Error> errors;
    valijson::ValidationResults::Error e;
    while (results.popError(e))
        errors.push_back(std::move(e));
    for (const auto& error : errors) {
        const bool explained_below = is_wrapper(error.description) &&
                                     std::any_of(errors.begin(), errors.end(), [&](const auto& other) {
                                         return &other != &error && !is_wrapper(other.description) &&
                                                starts_with(other.context, error.context);
                                     });
        if (explained_below)
            continue;
        for (auto& p : translate(compiled_->document, instance, error))
            if (std::find(out.begin(), out.end(), p) == out.end())
                out.push_back(std::move(p));
    }
    if (out.empty()) // valijson says no without saying why (a false schema, propertyNames)
        out.push_back({"$", 0, 0, "the value does not match the schema"});
    std::stable_sort(out.begin(), out.end(), [&](const problem& a, const problem& b) {
        return document_order(instance, a.path) < document_order(instance, b.path);
    });
    return out;
}

result<void> json_schema::validate(const json::value& instance) const
{
    auto problems = violations(instance);
    if (problems.empty())
        return {};
    const auto n = problems.size();
    return error{errc::invalid_context,
                 "the task context does not match the template's input_schema (" + std::to_string(n) +
                     (n == 1 ? " violation)" : " violations)"),
                 std::move(problems)};
}

} // namespace tasker
