// Reads the YAML tree of a task template (see template_reader.hpp).
#include "template_reader.hpp"

#include "template_keys.hpp"
#include "yaml_scalars.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tasker::detail {

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

template <class Visit>
void template_reader::each_key(const YAML::Node& map, const std::string& path, std::string_view where, keys known,
                               keys ignored, Visit&& visit)
{
    std::unordered_set<std::string> seen;
    for (const auto& kv : map) {
        const auto key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        const auto here = path.empty() ? key : path + "." + key;
        if (!seen.insert(key).second) {
            report(here, kv.first, "key '" + key + "' appears twice in " + std::string(where));
            continue;
        }
        if (contains(known, key))
            visit(key, kv.second, here);
        else if (!contains(ignored, key))
            report(here, kv.first, unknown_key_message(key, where, known));
    }
}

void template_reader::read_retry(const YAML::Node& n, const std::string& path, retry_settings& r)
{
    if (!is_map(n, path, "retry"))
        return;
    each_key(n, path, "retry", retry_keys, {}, [&](const std::string& key, const YAML::Node& v, const std::string& here) {
        if (key == "retryable") {
            r.retryable = bool_value(v, here);
        } else if (key == "max_attempts" || key == "limit") {
            const auto canonical = path + ".max_attempts";
            remember(canonical, v);
            if (r.max_attempts) {
                report(here, v, "max_attempts is given twice (limit is its alias)");
            } else if (auto i = int_value(v, here)) {
                if (*i < 0 || *i > 1'000'000)
                    report(here, v, "must be between 0 and 1000000, got " + std::to_string(*i));
                else
                    r.max_attempts = static_cast<std::uint32_t>(*i);
            }
        } else if (key == "backoff") {
            if (auto s = string_value(v, here)) {
                r.backoff = backoff_kind_from_string(*s);
                if (!r.backoff)
                    report(here, v, "unknown backoff '" + *s + "' (expected exponential, linear, constant or fixed)");
            }
        } else if (key == "backoff_base_ms" || key == "max_backoff_ms") {
            if (auto i = int_value(v, here))
                (key == "backoff_base_ms" ? r.base : r.max) = milliseconds(*i);
        } else if (key == "backoff_multiplier") {
            r.multiplier = number_value(v, here);
        } else if (key == "jitter") {
            r.jitter = number_value(v, here);
        }
    });
}

void template_reader::read_lifecycle(const YAML::Node& n, const std::string& path, lifecycle_limits& l)
{
    if (!is_map(n, path, "lifecycle"))
        return;
    each_key(n, path, "lifecycle", lifecycle_keys, ignored_lifecycle_keys,
             [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                 if (key == "staleness_action") {
                     if (auto s = string_value(v, here)) {
                         if (auto action = staleness_action_from_string(*s))
                             l.action = *action;
                         else
                             report(here, v, "unknown staleness_action '" + *s + "' (expected dlq, error or none)");
                     }
                     return;
                 }
                 auto i = int_value(v, here);
                 if (!i)
                     return;
                 const std::chrono::minutes m(*i);
                 if (key == "max_duration_minutes")
                     l.max_duration = m;
                 else if (key == "max_waiting_for_dependencies_minutes")
                     l.max_waiting_for_dependencies = m;
                 else if (key == "max_waiting_for_retry_minutes")
                     l.max_waiting_for_retry = m;
                 else
                     l.max_steps_in_process = m;
             });
}

std::vector<std::string> template_reader::read_names(const YAML::Node& n, const std::string& path)
{
    remember(path, n);
    std::vector<std::string> out;
    if (n.IsNull())
        return out;
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
        if (key == "callable") {
            if (auto s = string_value(v, here))
                h.callable = *s;
        } else {
            h.initialization = to_json(v, here);
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
    if (!n["name"])
        report(path, n, "a step needs a name");
    if (!n["handler"])
        report(path + ".handler", n, "a step needs a handler (handler.callable names the registered callable)");
    bool has_dependencies = false;
    each_key(n, path, "step", step_keys, ignored_step_keys,
             [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                 if (key == "name") {
                     if (auto name = string_value(v, here))
                         s.name = *name;
                 } else if (key == "description") {
                     if (auto d = string_value(v, here))
                         s.description = *d;
                 } else if (key == "type") {
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
                         report(here, v, "dependencies are given twice (depends_on is its alias)");
                         return;
                     }
                     s.dependencies = read_names(v, path + ".dependencies");
                 } else if (key == "retry") {
                     read_retry(v, here, s.retry);
                 } else if (key == "timeout_seconds") {
                     read_timeout(v, here, s.timeout);
                 }
             });
    return s;
}

void template_reader::read_environments(const YAML::Node& n, const std::string& path, const std::string& selected,
                                        std::vector<step_template>& steps)
{
    if (!is_map(n, path, "environments"))
        return;
    for (const auto& env : n) {
        const auto name = env.first.Scalar();
        const auto env_path = path + "." + name;
        if (!is_map(env.second, env_path, "an environment"))
            continue;
        const bool apply = name == selected;
        each_key(env.second, env_path, "environment", environment_keys, {},
                 [&](const std::string&, const YAML::Node& list, const std::string& here) {
                     if (!list.IsSequence()) {
                         report(here, list, "must be a list of step overrides");
                         return;
                     }
                     std::size_t i = 0;
                     for (const auto& o : list)
                         read_override(o, here + "[" + std::to_string(i++) + "]", apply, steps);
                 });
    }
}

void template_reader::read_override(const YAML::Node& o, const std::string& path, bool apply,
                                    std::vector<step_template>& steps)
{
    if (!is_map(o, path, "a step override"))
        return;
    const auto name = o["name"] ? string_value(o["name"], path + ".name") : std::nullopt;
    if (!o["name"]) {
        report(path, o, "a step override needs the name of the step it changes");
        return;
    }
    if (!name)
        return;
    auto target = std::find_if(steps.begin(), steps.end(), [&](const step_template& s) { return s.name == *name; });
    if (target == steps.end()) {
        report(path + ".name", o["name"], "override names unknown step '" + *name + "'");
        return;
    }
    step_template changed = *target;
    each_key(o, path, "step override", override_step_keys, {},
             [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                 if (key == "handler") {
                     handler_spec h;
                     read_handler(v, here, h);
                     if (!h.callable.empty())
                         changed.handler.callable = h.callable;
                     if (h.initialization.is_object()) {
                         if (!changed.handler.initialization.is_object())
                             changed.handler.initialization = json::object{};
                         for (const auto& [k, value] : h.initialization.as_object())
                             changed.handler.initialization.as_object()[k] = value;
                     }
                 } else if (key == "retry") {
                     retry_settings r;
                     read_retry(v, here, r);
                     changed.retry = r.over(changed.retry);
                 } else if (key == "timeout_seconds") {
                     read_timeout(v, here, changed.timeout);
                 }
             });
    if (apply)
        *target = std::move(changed);
}

task_template template_reader::read_template(const YAML::Node& root, const template_options& options)
{
    task_template t;
    if (!root.IsMap()) {
        report("", root, "a task template must be a YAML mapping (name, namespace_name, version, steps, ...)");
        return t;
    }
    for (std::string_view required : {"name", "namespace_name", "version", "steps"})
        if (!root[std::string(required)])
            report(std::string(required), root, "required key '" + std::string(required) + "' is missing");
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
                         remember(here, v);
                         if (auto parsed = semver::parse(*s))
                             t.version = *parsed;
                         else
                             report(here, v, parsed.error().message);
                     }
                 } else if (key == "description") {
                     if (auto s = string_value(v, here))
                         t.description = *s;
                 } else if (key == "input_schema") {
                     t.input_schema = to_json(v, here);
                 } else if (key == "metadata") {
                     t.metadata = to_json(v, here);
                 } else if (key == "retry") {
                     read_retry(v, here, t.retry);
                 } else if (key == "lifecycle") {
                     read_lifecycle(v, here, t.lifecycle);
                 } else if (key == "steps") {
                     remember(here, v);
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
