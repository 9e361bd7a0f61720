#include <tasker/model/json_schema.hpp>

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tasker {

namespace {

// JSON Schema's type names, as bits so a `type: [string, null]` list is one mask.
enum type_bit : std::uint8_t {
    t_null = 1 << 0,
    t_boolean = 1 << 1,
    t_integer = 1 << 2,
    t_number = 1 << 3,
    t_string = 1 << 4,
    t_array = 1 << 5,
    t_object = 1 << 6,
};

constexpr std::pair<std::string_view, std::uint8_t> type_names[] = {
    {"null", t_null},     {"boolean", t_boolean}, {"integer", t_integer}, {"number", t_number},
    {"string", t_string}, {"array", t_array},     {"object", t_object},
};

std::optional<std::uint8_t> type_from_name(std::string_view s)
{
    for (const auto& [name, bit] : type_names)
        if (name == s)
            return bit;
    return std::nullopt;
}

std::string mask_to_string(std::uint8_t mask)
{
    std::string out;
    for (const auto& [name, bit] : type_names)
        if (mask & bit)
            out += (out.empty() ? "" : " or ") + std::string(name);
    return out;
}

bool is_integral(const json::value& v)
{
    if (v.is_int64() || v.is_uint64())
        return true;
    return v.is_double() && std::isfinite(v.get_double()) && std::trunc(v.get_double()) == v.get_double();
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

bool matches_type(const json::value& v, std::uint8_t mask)
{
    switch (v.kind()) {
    case json::kind::null: return mask & t_null;
    case json::kind::bool_: return mask & t_boolean;
    case json::kind::int64:
    case json::kind::uint64: return mask & (t_integer | t_number);
    case json::kind::double_: return (mask & t_number) || ((mask & t_integer) && is_integral(v));
    case json::kind::string: return mask & t_string;
    case json::kind::array: return mask & t_array;
    case json::kind::object: return mask & t_object;
    }
    return false;
}

std::optional<double> as_number(const json::value& v)
{
    if (v.is_int64())
        return static_cast<double>(v.get_int64());
    if (v.is_uint64())
        return static_cast<double>(v.get_uint64());
    if (v.is_double())
        return v.get_double();
    return std::nullopt;
}

// Shortest round-trip form ("0.5", "1e+20"); Boost.JSON would print 5E-1.
std::string number_text(double d)
{
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(d);
}

std::string value_text(const json::value& v)
{
    return v.is_double() ? number_text(v.get_double()) : json::serialize(v);
}

// Counts code points, not bytes: a schema's minLength means characters to its author.
std::size_t code_points(std::string_view s)
{
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

std::string join(const std::string& base, std::string_view key)
{
    return base.empty() ? std::string(key) : base + "." + std::string(key);
}

} // namespace

struct json_schema::node {
    std::uint8_t types = 0; // 0: any type
    std::vector<std::string> required;
    std::vector<std::pair<std::string, std::shared_ptr<const node>>> properties;
    std::shared_ptr<const node> items;
    std::optional<json::array> enumeration;
    std::optional<double> minimum;
    std::optional<double> maximum;
    std::optional<std::size_t> min_length;
    std::optional<std::size_t> max_length;
    bool additional_allowed = true;
    std::shared_ptr<const node> additional;

    const node* property(std::string_view name) const
    {
        for (const auto& [n, p] : properties)
            if (n == name)
                return p.get();
        return nullptr;
    }
};

namespace {

using node = json_schema::node;

bool is_annotation(std::string_view key)
{
    for (std::string_view a : {"description", "title", "default", "format", "examples", "$schema", "$id", "$comment"})
        if (key == a)
            return true;
    return false;
}

std::optional<std::size_t> non_negative_count(const json::value& v)
{
    if (v.is_uint64())
        return static_cast<std::size_t>(v.get_uint64());
    if (v.is_int64() && v.get_int64() >= 0)
        return static_cast<std::size_t>(v.get_int64());
    if (v.is_double() && is_integral(v) && v.get_double() >= 0)
        return static_cast<std::size_t>(v.get_double());
    return std::nullopt;
}

class compiler {
public:
    std::vector<problem> problems;

    std::shared_ptr<const node> compile(const json::value& schema, const std::string& path)
    {
        auto n = std::make_shared<node>();
        if (!schema.is_object()) {
            report(path, "a schema must be an object, got " + std::string(kind_name(schema)));
            return n;
        }
        for (const auto& [key_sv, value] : schema.as_object()) {
            const std::string_view key = key_sv;
            const auto here = join(path, key);
            if (key == "type")
                compile_type(*n, value, here);
            else if (key == "required")
                compile_required(*n, value, here);
            else if (key == "properties") {
                if (!value.is_object()) {
                    report(here, "must be an object mapping property names to schemas");
                    continue;
                }
                for (const auto& [name, sub] : value.as_object())
                    n->properties.emplace_back(std::string(name), compile(sub, join(here, name)));
            } else if (key == "items") {
                n->items = compile(value, here);
            } else if (key == "enum") {
                if (!value.is_array() || value.as_array().empty())
                    report(here, "must be a non-empty array of allowed values");
                else
                    n->enumeration = value.as_array();
            } else if (key == "minimum" || key == "maximum") {
                const auto number = as_number(value);
                if (!number)
                    report(here, "must be a number");
                else
                    (key == "minimum" ? n->minimum : n->maximum) = *number;
            } else if (key == "minLength" || key == "maxLength") {
                const auto count = non_negative_count(value);
                if (!count)
                    report(here, "must be a non-negative integer");
                else
                    (key == "minLength" ? n->min_length : n->max_length) = *count;
            } else if (key == "additionalProperties") {
                if (value.is_bool())
                    n->additional_allowed = value.get_bool();
                else if (value.is_object())
                    n->additional = compile(value, here);
                else
                    report(here, "must be a boolean or a schema");
            } else if (!is_annotation(key)) {
                report(here, "unsupported JSON Schema keyword '" + std::string(key) +
                                 "' (supported: type, required, properties, items, enum, minimum, maximum, "
                                 "minLength, maxLength, additionalProperties)");
            }
        }
        if (n->minimum && n->maximum && *n->minimum > *n->maximum)
            report(join(path, "minimum"), "minimum " + number_text(*n->minimum) + " is above maximum " +
                                              number_text(*n->maximum));
        if (n->min_length && n->max_length && *n->min_length > *n->max_length)
            report(join(path, "minLength"), "minLength is above maxLength");
        return n;
    }

private:
    void report(const std::string& path, std::string message) { problems.push_back({path, 0, 0, std::move(message)}); }

    void compile_type(node& n, const json::value& value, const std::string& path)
    {
        auto add = [&](const json::value& name, const std::string& where) {
            const auto bit = name.is_string() ? type_from_name(name.get_string()) : std::nullopt;
            if (!bit)
                report(where, "unknown type " + json::serialize(name) +
                                  " (expected null, boolean, integer, number, string, array or object)");
            else
                n.types |= *bit;
        };
        if (value.is_array()) {
            if (value.as_array().empty())
                report(path, "a type list must not be empty");
            for (std::size_t i = 0; i < value.as_array().size(); ++i)
                add(value.as_array()[i], path + "[" + std::to_string(i) + "]");
        } else {
            add(value, path);
        }
    }

    void compile_required(node& n, const json::value& value, const std::string& path)
    {
        if (!value.is_array()) {
            report(path, "must be an array of property names");
            return;
        }
        for (std::size_t i = 0; i < value.as_array().size(); ++i) {
            const auto& name = value.as_array()[i];
            if (name.is_string())
                n.required.emplace_back(name.get_string());
            else
                report(path + "[" + std::to_string(i) + "]", "must be a property name (a string)");
        }
    }
};

class checker {
public:
    std::vector<problem> problems;

    void check(const node& n, const json::value& v, const std::string& path)
    {
        if (n.types && !matches_type(v, n.types)) {
            report(path, "expected " + mask_to_string(n.types) + ", got " + std::string(kind_name(v)));
            return; // the other keywords would only repeat the type mismatch
        }
        if (n.enumeration) {
            bool found = false;
            for (const auto& allowed : *n.enumeration)
                found |= allowed == v;
            if (!found)
                report(path, "value " + json::serialize(v) + " is not one of " + json::serialize(*n.enumeration));
        }
        if (const auto number = as_number(v)) {
            if (n.minimum && *number < *n.minimum)
                report(path, "value " + value_text(v) + " is less than the minimum " + number_text(*n.minimum));
            if (n.maximum && *number > *n.maximum)
                report(path, "value " + value_text(v) + " is greater than the maximum " + number_text(*n.maximum));
        }
        if (v.is_string()) {
            const auto length = code_points(v.get_string());
            if (n.min_length && length < *n.min_length)
                report(path, "string of " + std::to_string(length) + " characters is shorter than minLength " +
                                 std::to_string(*n.min_length));
            if (n.max_length && length > *n.max_length)
                report(path, "string of " + std::to_string(length) + " characters is longer than maxLength " +
                                 std::to_string(*n.max_length));
        }
        if (v.is_array() && n.items) {
            const auto& a = v.get_array();
            for (std::size_t i = 0; i < a.size(); ++i)
                check(*n.items, a[i], path + "[" + std::to_string(i) + "]");
        }
        if (v.is_object())
            check_object(n, v.get_object(), path);
    }

private:
    void report(const std::string& path, std::string message) { problems.push_back({path, 0, 0, std::move(message)}); }

    void check_object(const node& n, const json::object& o, const std::string& path)
    {
        for (const auto& name : n.required)
            if (!o.contains(name))
                report(path + "." + name, "required property '" + name + "' is missing");
        for (const auto& [key, value] : o) {
            const auto here = path + "." + std::string(key);
            if (const auto* p = n.property(key))
                check(*p, value, here);
            else if (n.additional)
                check(*n.additional, value, here);
            else if (!n.additional_allowed)
                report(here, "property '" + std::string(key) + "' is not allowed here");
        }
    }
};

} // namespace

result<json_schema> json_schema::compile(const json::value& schema)
{
    compiler c;
    auto root = c.compile(schema, "");
    if (!c.problems.empty()) {
        const auto n = c.problems.size();
        return error{errc::invalid_template,
                     "input_schema has " + std::to_string(n) + (n == 1 ? " problem" : " problems"),
                     std::move(c.problems)};
    }
    json_schema s;
    s.root_ = std::move(root);
    return s;
}

result<void> json_schema::validate(const json::value& instance) const
{
    if (!root_)
        return {};
    checker c;
    c.check(*root_, instance, "$");
    if (c.problems.empty())
        return {};
    const auto n = c.problems.size();
    return error{errc::invalid_context,
                 "the task context does not match the template's input_schema (" + std::to_string(n) +
                     (n == 1 ? " violation)" : " violations)"),
                 std::move(c.problems)};
}

} // namespace tasker
