// Reads the YAML tree of a task template (see template_reader.hpp): values, the template and
// its steps. Settings blocks are in template_settings.cpp, environments in
// template_environments.cpp.
#include "template_reader.hpp"

#include "template_keys.hpp"
#include "yaml_scalars.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tasker::detail {

YAML::Node child(const YAML::Node& map, std::string_view key)
{
    if (!map.IsMap())
        return YAML::Node(YAML::NodeType::Undefined);
    if (auto n = map[std::string(key)])
        return n;
    return map[":" + std::string(key)];
}

bool is_null(const YAML::Node& n)
{
    return n.IsNull() || (n.IsScalar() && !is_quoted(n) && is_null_scalar(n.Scalar()));
}

void template_reader::remember(const std::string& path, const YAML::Node& n)
{
    if (const auto m = n.Mark(); !m.is_null())
        marks_.emplace(path, m);
}

void template_reader::report(const std::string& path, const YAML::Node& n, std::string message)
{
    problem p{path, 0, 0, std::move(message)};
    if (const auto m = n.Mark(); !m.is_null())
        p.line = m.line + 1, p.column = m.column + 1;
    problems.push_back(std::move(p));
}

void template_reader::locate(problem& p) const
{
    if (p.line > 0)
        return;
    std::string path = p.path;
    while (!path.empty()) {
        if (auto it = marks_.find(path); it != marks_.end()) {
            p.line = it->second.line + 1;
            p.column = it->second.column + 1;
            return;
        }
        const auto cut = path.find_last_of(".[");
        path.resize(cut == std::string::npos ? 0 : cut);
    }
}

json::value template_reader::to_json(const YAML::Node& n, const std::string& path)
{
    remember(path, n);
    switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: {
        const auto& s = n.Scalar();
        if (is_quoted(n))
            return json::string(s);
        if (is_null_scalar(s))
            return nullptr;
        if (auto b = bool_scalar(s))
            return *b;
        if (auto i = int_scalar(s))
            return *i;
        if (auto d = float_scalar(s))
            return *d;
        return json::string(s);
    }
    case YAML::NodeType::Sequence: {
        json::array a;
        a.reserve(n.size());
        std::size_t i = 0;
        for (const auto& item : n)
            a.push_back(to_json(item, path + "[" + std::to_string(i++) + "]"));
        return a;
    }
    case YAML::NodeType::Map: {
        json::object o;
        for (const auto& kv : n) {
            if (!kv.first.IsScalar()) {
                report(path, kv.first, "mapping keys must be plain strings");
                continue;
            }
            const auto& key = kv.first.Scalar();
            o[key] = to_json(kv.second, path.empty() ? key : path + "." + key);
        }
        return o;
    }
    }
    return nullptr;
}

std::optional<std::string> template_reader::string_value(const YAML::Node& n, const std::string& path)
{
    remember(path, n);
    if (!n.IsScalar() || (!is_quoted(n) && is_null_scalar(n.Scalar()))) {
        report(path, n, "must be a string");
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<bool> template_reader::bool_value(const YAML::Node& n, const std::string& path)
{
    remember(path, n);
    std::optional<bool> b;
    if (n.IsScalar() && !is_quoted(n))
        b = bool_scalar(n.Scalar());
    if (!b)
        report(path, n, "must be true or false");
    return b;
}

std::optional<std::int64_t> template_reader::int_value(const YAML::Node& n, const std::string& path)
{
    remember(path, n);
    std::optional<std::int64_t> i;
    if (n.IsScalar() && !is_quoted(n))
        i = int_scalar(n.Scalar());
    if (!i)
        report(path, n, "must be an integer, got " + describe(n));
    return i;
}

std::optional<double> template_reader::number_value(const YAML::Node& n, const std::string& path)
{
    remember(path, n);
    std::optional<double> d;
    if (n.IsScalar() && !is_quoted(n))
        d = float_scalar(n.Scalar());
    if (!d)
        report(path, n, "must be a number, got " + describe(n));
    return d;
}

bool template_reader::is_map(const YAML::Node& n, const std::string& path, std::string_view what)
{
    remember(path, n);
    if (n.IsMap())
        return true;
    report(path, n, std::string(what) + " must be a mapping");
    return false;
}

void template_reader::each_key(const YAML::Node& map, const std::string& path, std::string_view where, keys known,
                               keys ignored, const visitor& visit)
{
    std::unordered_set<std::string> seen;
    for (const auto& kv : map) {
        auto key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        if (key.size() > 1 && key.front() == ':') // a Ruby symbol key
            key.erase(0, 1);
        const auto here = path.empty() ? key : path + "." + key;
        if (!seen.insert(key).second) {
            report(here, kv.first, "key '" + key + "' appears twice in " + std::string(where));
            continue;
        }
        remember(here, kv.second);
        if (contains(known, key)) {
            if (!is_null(kv.second))
                visit(key, kv.second, here);
        } else if (!contains(ignored, key)) {
            report(here, kv.first, unknown_key_message(key, where, known));
        }
    }
}

void template_reader::require(const YAML::Node& map, const std::string& path,
                              std::initializer_list<std::string_view> required, std::string_view where)
{
    for (auto key : required) {
        const auto here = path.empty() ? std::string(key) : path + "." + std::string(key);
        const auto n = child(map, key);
        if (!n)
            report(here, map, std::string(where) + " needs '" + std::string(key) + "'");
        else if (is_null(n))
            report(here, n, "'" + std::string(key) + "' has no value");
    }
}

std::vector<std::string> template_reader::read_names(const YAML::Node& n, const std::string& path)
{
    remember(path, n);
    std::vector<std::string> out;
    if (!n.IsSequence()) {
        report(path, n, "must be a list of step names");
        return out;
    }
    std::size_t i = 0;
    for (const auto& item : n)
        if (auto s = string_value(item, path + "[" + std::to_string(i++) + "]"))
            out.push_back(*s);
    return out;
}

void template_reader::read_handler(const YAML::Node& n, const std::string& path, handler_spec& h)
{
    if (!is_map(n, path, "handler"))
        return;
    each_key(n, path, "handler", handler_keys, {}, [&](const std::string& key, const YAML::Node& v, const std::string& here) {
        if (key == "initialization") {
            h.initialization = to_json(v, here);
            if (!h.initialization.is_object()) {
                report(here, v, "must be a mapping of configuration values");
                h.initialization = nullptr;
            }
        } else if (auto s = string_value(v, here)) {
            (key == "callable" ? h.callable : key == "method" ? h.method : h.resolver) = *s;
        }
    });
}

void template_reader::read_timeout(const YAML::Node& n, const std::string& path, std::optional<seconds>& timeout)
{
    if (auto i = int_value(n, path))
        timeout = seconds(*i);
}

step_template template_reader::read_step(const YAML::Node& n, const std::string& path)
{
    step_template s;
    if (!is_map(n, path, "a step"))
        return s;
    if (!child(n, "name"))
        report(path, n, "a step needs a name");
    if (!child(n, "handler"))
        report(path + ".handler", n, "a step needs a handler (handler.callable names the registered callable)");
    bool has_dependencies = false;
    bool has_type = false;
    each_key(n, path, "step", step_keys, ignored_step_keys,
             [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                 if (key == "name") {
                     if (auto name = string_value(v, here))
                         s.name = *name;
                 } else if (key == "description") {
                     if (auto d = string_value(v, here))
                         s.description = *d;
                 } else if (key == "type" || key == "step_type") {
                     if (std::exchange(has_type, true)) {
                         report(here, v, "the step type is given twice (step_type is an alias of type)");
                         return;
                     }
                     remember(path + ".type", v);
                     if (auto t = string_value(v, here)) {
                         if (auto type = step_type_from_string(*t))
                             s.type = *type;
                         else
                             report(here, v, "unknown step type '" + *t +
                                                 "' (expected standard, decision, deferred_convergence, "
                                                 "batchable or batch_worker)");
                     }
                 } else if (key == "handler") {
                     read_handler(v, here, s.handler);
                 } else if (key == "dependencies" || key == "depends_on") {
                     if (std::exchange(has_dependencies, true)) {
                         report(here, v, "dependencies are given twice (depends_on is an alias of dependencies)");
                         return;
                     }
                     s.dependencies = read_names(v, path + ".dependencies");
                 } else if (key == "retry") {
                     read_retry(v, here, s.retry);
                 } else if (key == "timeout_seconds") {
                     read_timeout(v, here, s.timeout);
                 } else if (key == "lifecycle") {
                     read_step_lifecycle(v, here, s.lifecycle);
                 } else if (key == "batch_config") {
                     read_batch_config(v, here, s.batch);
                 } else if (key == "result_schema") {
                     s.result_schema = to_json(v, here);
                 }
             });
    return s;
}

task_template template_reader::read_template(const YAML::Node& root, const template_options& options)
{
    task_template t;
    if (!root.IsMap()) {
        report("", root, "a task template must be a YAML mapping (name, namespace_name, version, steps, ...)");
        return t;
    }
    for (std::string_view required : {"name", "namespace_name", "version", "steps"}) {
        const auto n = child(root, required);
        if (!n)
            report(std::string(required), root, "required key '" + std::string(required) + "' is missing");
        else if (is_null(n))
            report(std::string(required), n, "required key '" + std::string(required) + "' has no value");
    }
    std::optional<YAML::Node> environments;
    each_key(root, "", "template", template_keys, ignored_template_keys,
             [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                 if (key == "name") {
                     if (auto s = string_value(v, here))
                         t.name = *s;
                 } else if (key == "namespace_name") {
                     if (auto s = string_value(v, here))
                         t.namespace_name = *s;
                 } else if (key == "version") {
                     // An unquoted 1.0 is a float to YAML: read the text as written.
                     if (auto s = v.IsScalar() ? std::optional(v.Scalar()) : string_value(v, here)) {
                         if (auto parsed = semver::parse(*s))
                             t.version = *parsed;
                         else
                             report(here, v, parsed.error().message);
                     }
                 } else if (key == "description") {
                     if (auto s = string_value(v, here))
                         t.description = *s;
                 } else if (key == "loaded_from") {
                     if (auto s = string_value(v, here))
                         t.loaded_from = *s;
                 } else if (key == "input_schema") {
                     t.input_schema = to_json(v, here);
                 } else if (key == "metadata") {
                     t.metadata = to_json(v, here);
                 } else if (key == "retry") {
                     read_retry(v, here, t.retry);
                 } else if (key == "lifecycle") {
                     read_lifecycle(v, here, t.lifecycle);
                 } else if (key == "identity_strategy") {
                     if (auto s = string_value(v, here)) {
                         if (auto strategy = identity_strategy_from_string(*s))
                             t.identity = *strategy;
                         else
                             report(here, v,
                                    "unknown identity_strategy '" + *s +
                                        "' (expected strict, caller_provided or always_unique)");
                     }
                 } else if (key == "steps") {
                     if (!v.IsSequence()) {
                         report(here, v, "steps must be a list");
                         return;
                     }
                     std::size_t i = 0;
                     for (const auto& step : v)
                         t.steps.push_back(read_step(step, "steps[" + std::to_string(i++) + "]"));
                 } else if (key == "environments") {
                     environments = v;
                 }
             });
    if (environments)
        read_environments(*environments, "environments", options.environment, t.steps);
    return t;
}

} // namespace tasker::detail
