// Reads tasker-core's YAML template format into a `task_template`, then validates it.
// yaml-cpp stays private to this file: the public API speaks JSON and C++ structs.
#include <tasker/model/task_template.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>

namespace tasker {

namespace {

using keys = std::span<const std::string_view>;

constexpr std::string_view template_keys[] = {"name", "namespace_name", "version", "description", "input_schema", "metadata",
                                "retry", "lifecycle", "steps", "environments"};
// tasker-core keys this version reads past: they configure features it does not have.
constexpr std::string_view ignored_template_keys[] = {"task_handler", "system_dependencies", "domain_events", "module_namespace",
                                        "default_dependent_system", "custom_events"};
constexpr std::string_view step_keys[] = {"name", "description", "type", "handler", "dependencies", "depends_on", "retry",
                            "timeout_seconds"};
constexpr std::string_view ignored_step_keys[] = {"publishes_events", "system_dependency", "dependent_system", "metadata",
                                    "batch_config"};
constexpr std::string_view handler_keys[] = {"callable", "initialization"};
constexpr std::string_view retry_keys[] = {"retryable", "max_attempts", "limit", "backoff", "backoff_base_ms", "max_backoff_ms",
                             "backoff_multiplier", "jitter"};
constexpr std::string_view lifecycle_keys[] = {"max_duration_minutes", "max_waiting_for_dependencies_minutes",
                                 "max_waiting_for_retry_minutes", "max_steps_in_process_minutes", "staleness_action"};
constexpr std::string_view ignored_lifecycle_keys[] = {"auto_fail_on_timeout", "auto_dlq_on_timeout"};
constexpr std::string_view override_step_keys[] = {"name", "handler", "retry", "timeout_seconds"};
constexpr std::string_view environment_keys[] = {"steps"};

bool contains(keys ks, std::string_view k) { return std::find(ks.begin(), ks.end(), k) != ks.end(); }

std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::string unknown_key_message(std::string_view key, std::string_view where, keys known)
{
    std::string message = "unknown key '" + std::string(key) + "' in " + std::string(where);
    std::string_view best;
    std::size_t best_distance = 3; // suggest only close misspellings
    for (auto k : known)
        if (const auto d = edit_distance(key, k); d < best_distance)
            best = k, best_distance = d;
    if (!best.empty())
        message += " (did you mean '" + std::string(best) + "'?)";
    return message;
}

bool is_quoted(const YAML::Node& n) { return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str"; }

bool is_null_scalar(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> bool_scalar(std::string_view s)
{
    if (s == "true" || s == "True" || s == "TRUE")
        return true;
    if (s == "false" || s == "False" || s == "FALSE")
        return false;
    return std::nullopt;
}

std::optional<std::int64_t> int_scalar(std::string_view s)
{
    std::int64_t v = 0;
    const auto* first = s.data() + (s.starts_with('+') ? 1 : 0);
    const auto [end, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || first == s.data() + s.size())
        return std::nullopt;
    return v;
}

std::optional<double> float_scalar(std::string_view s)
{
    // YAML 1.2 core schema floats, finite ones only (JSON has no inf or nan).
    if (s.empty() || s.find_first_not_of("+-0123456789.eE") != std::string_view::npos ||
        s.find_first_of("0123456789") == std::string_view::npos)
        return std::nullopt;
    const std::string text(s);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v))
        return std::nullopt;
    return v;
}

// Reads the YAML tree, remembering where every path was written so that each problem,
// even one found later by `validate_template`, can be located by line and column.
class reader {
public:
    std::vector<problem> problems;

    void remember(const std::string& path, const YAML::Node& n)
    {
        if (const auto m = n.Mark(); !m.is_null())
            marks_.emplace(path, m);
    }

    void report(const std::string& path, const YAML::Node& n, std::string message)
    {
        problem p{path, 0, 0, std::move(message)};
        if (const auto m = n.Mark(); !m.is_null())
            p.line = m.line + 1, p.column = m.column + 1;
        problems.push_back(std::move(p));
    }

    // Locates a problem by the longest prefix of its path that was written in the text.
    void locate(problem& p) const
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

    json::value to_json(const YAML::Node& n, const std::string& path)
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

    std::optional<std::string> string_value(const YAML::Node& n, const std::string& path)
    {
        remember(path, n);
        if (!n.IsScalar() || (!is_quoted(n) && is_null_scalar(n.Scalar()))) {
            report(path, n, "must be a string");
            return std::nullopt;
        }
        return n.Scalar();
    }

    std::optional<bool> bool_value(const YAML::Node& n, const std::string& path)
    {
        remember(path, n);
        std::optional<bool> b;
        if (n.IsScalar() && !is_quoted(n))
            b = bool_scalar(n.Scalar());
        if (!b)
            report(path, n, "must be true or false");
        return b;
    }

    std::optional<std::int64_t> int_value(const YAML::Node& n, const std::string& path)
    {
        remember(path, n);
        std::optional<std::int64_t> i;
        if (n.IsScalar() && !is_quoted(n))
            i = int_scalar(n.Scalar());
        if (!i)
            report(path, n, "must be an integer, got " + describe(n));
        return i;
    }

    std::optional<double> number_value(const YAML::Node& n, const std::string& path)
    {
        remember(path, n);
        std::optional<double> d;
        if (n.IsScalar() && !is_quoted(n))
            d = float_scalar(n.Scalar());
        if (!d)
            report(path, n, "must be a number, got " + describe(n));
        return d;
    }

    bool is_map(const YAML::Node& n, const std::string& path, std::string_view what)
    {
        remember(path, n);
        if (n.IsMap())
            return true;
        report(path, n, std::string(what) + " must be a mapping");
        return false;
    }

    // Visits each key of a mapping, reporting unknown ones; `visit(key, value, path)`.
    template <class Visit>
    void each_key(const YAML::Node& map, const std::string& path, std::string_view where, keys known, keys ignored,
                  Visit&& visit)
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

    void read_retry(const YAML::Node& n, const std::string& path, retry_settings& r)
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

    void read_lifecycle(const YAML::Node& n, const std::string& path, lifecycle_limits& l)
    {
        if (!is_map(n, path, "lifecycle"))
            return;
        each_key(n, path, "lifecycle", lifecycle_keys, ignored_lifecycle_keys,
                 [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                     if (key == "staleness_action") {
                         if (auto s = string_value(v, here)) {
                             if (*s == "dlq")
                                 l.action = staleness_action::dlq;
                             else if (*s == "error")
                                 l.action = staleness_action::error;
                             else if (*s == "none")
                                 l.action = staleness_action::none;
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

    std::vector<std::string> read_names(const YAML::Node& n, const std::string& path)
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

    void read_handler(const YAML::Node& n, const std::string& path, handler_spec& h)
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

    void read_timeout(const YAML::Node& n, const std::string& path, std::optional<seconds>& timeout)
    {
        if (auto i = int_value(n, path))
            timeout = seconds(*i);
    }

    step_template read_step(const YAML::Node& n, const std::string& path)
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

    // Applies `environments.<env>.steps[]`: by step name, handler initialization (merged key
    // by key), handler callable, retry (field by field) and timeout. Every environment is
    // checked, only the selected one applied.
    void read_environments(const YAML::Node& n, const std::string& path, const std::string& selected,
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

    void read_override(const YAML::Node& o, const std::string& path, bool apply, std::vector<step_template>& steps)
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

    task_template read_template(const YAML::Node& root, const template_options& options)
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

private:
    static std::string describe(const YAML::Node& n)
    {
        if (n.IsScalar())
            return "'" + n.Scalar() + "'";
        if (n.IsSequence())
            return "a list";
        if (n.IsMap())
            return "a mapping";
        return "nothing";
    }

    std::map<std::string, YAML::Mark> marks_;
};

bool under(std::string_view path, std::string_view prefix)
{
    return path.starts_with(prefix) &&
           (path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[');
}

} // namespace

result<task_template> load_template(std::string_view yaml, const template_options& options)
{
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        problem p{"", 0, 0, e.msg};
        if (!e.mark.is_null())
            p.line = e.mark.line + 1, p.column = e.mark.column + 1;
        return error{errc::malformed_yaml, "the template is not valid YAML", {std::move(p)}};
    }

    reader r;
    task_template t;
    try {
        t = r.read_template(root, options);
    } catch (const YAML::Exception& e) { // yaml-cpp throws on some malformed trees it accepted lazily
        problem p{"", 0, 0, e.msg};
        if (!e.mark.is_null())
            p.line = e.mark.line + 1, p.column = e.mark.column + 1;
        return error{errc::malformed_yaml, "the template is not valid YAML", {std::move(p)}};
    }

    auto parse_problems = std::move(r.problems);
    const bool not_a_template = !parse_problems.empty() && parse_problems.front().path.empty();
    if (not_a_template) // nothing was read: validating would only list every missing field again
        return error{errc::invalid_template, "the text is not a task template", std::move(parse_problems)};
    auto validated = validate_template(std::move(t), options);
    if (validated && parse_problems.empty())
        return validated;

    // Validation's findings about a path the reader already rejected would only repeat it.
    std::vector<problem> problems = parse_problems;
    std::string who = "template";
    if (!validated) {
        auto failure = validated.error(); // a copy: result::error() returns by value
        for (auto& p : failure.problems) {
            const bool repeated = std::any_of(parse_problems.begin(), parse_problems.end(), [&](const problem& q) {
                return !q.path.empty() && (under(p.path, q.path) || under(q.path, p.path));
            });
            if (!repeated)
                problems.push_back(std::move(p));
        }
        who = failure.message.substr(0, failure.message.find(" has "));
    } else {
        who = "template '" + validated->key().to_string() + "'";
    }
    for (auto& p : problems)
        r.locate(p);
    std::stable_sort(problems.begin(), problems.end(), [](const problem& a, const problem& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    const auto n = problems.size();
    return error{errc::invalid_template, who + " has " + std::to_string(n) + (n == 1 ? " problem" : " problems"),
                 std::move(problems)};
}

result<task_template> load_template_file(const std::string& path, const template_options& options)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return error{errc::template_not_found, "cannot read template file '" + path + "'"};
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return error{errc::template_not_found, "cannot read template file '" + path + "'"};
    auto t = load_template(text.str(), options);
    if (t)
        return t;
    auto e = t.error();
    e.message = path + ": " + e.message;
    return e;
}

} // namespace tasker
