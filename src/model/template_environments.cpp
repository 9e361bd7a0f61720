// Environment overrides of a task template (see template_reader.hpp).
#include "template_reader.hpp"

#include "template_keys.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tasker::detail {

namespace {

/// One `environments.<env>.steps[]` entry as read: what it changes. A key left out, or given
/// no value, changes nothing.
struct step_override {
    std::string name;
    handler_spec handler; ///< non-empty strings and an object initialization are overrides
    retry_settings retry;
    std::optional<seconds> timeout;

    void apply_to(step_template& s) const
    {
        if (!handler.callable.empty())
            s.handler.callable = handler.callable;
        if (!handler.method.empty())
            s.handler.method = handler.method;
        if (!handler.resolver.empty())
            s.handler.resolver = handler.resolver;
        if (handler.initialization.is_object()) {
            if (!s.handler.initialization.is_object())
                s.handler.initialization = json::object{};
            for (const auto& [k, value] : handler.initialization.as_object())
                s.handler.initialization.as_object()[k] = value;
        }
        s.retry = retry.over(s.retry);
        if (timeout)
            s.timeout = timeout;
    }
};

} // namespace

void template_reader::read_environments(const YAML::Node& n, const std::string& path, const std::string& selected,
                                        std::vector<step_template>& steps)
{
    if (!is_map(n, path, "environments"))
        return;
    for (const auto& env : n) {
        const auto name = env.first.Scalar();
        const auto env_path = path + "." + name;
        remember(env_path, env.second);
        if (is_null(env.second))
            continue;
        if (!is_map(env.second, env_path, "an environment"))
            continue;
        std::vector<step_override> overrides;
        each_key(env.second, env_path, "environment", environment_keys, {},
                 [&](const std::string&, const YAML::Node& list, const std::string& here) {
                     if (!list.IsSequence()) {
                         report(here, list, "must be a list of step overrides");
                         return;
                     }
                     std::size_t i = 0;
                     for (const auto& o : list) {
                         const auto o_path = here + "[" + std::to_string(i++) + "]";
                         if (!is_map(o, o_path, "a step override"))
                             continue;
                         const auto name_node = child(o, "name");
                         if (!name_node || is_null(name_node)) {
                             report(o_path, o, "a step override needs the name of the step it changes (or ALL)");
                             continue;
                         }
                         step_override so;
                         bool known_step = true;
                         if (auto step_name = string_value(name_node, o_path + ".name")) {
                             so.name = *step_name;
                             known_step = so.name == all_steps ||
                                          std::any_of(steps.begin(), steps.end(),
                                                      [&](const step_template& s) { return s.name == so.name; });
                             if (!known_step)
                                 report(o_path + ".name", name_node, "override names unknown step '" + so.name + "'");
                         } else {
                             known_step = false;
                         }
                         each_key(o, o_path, "step override", override_step_keys, {},
                                  [&](const std::string& key, const YAML::Node& v, const std::string& at) {
                                      if (key == "handler")
                                          read_handler(v, at, so.handler);
                                      else if (key == "retry")
                                          read_retry(v, at, so.retry);
                                      else if (key == "timeout_seconds")
                                          read_timeout(v, at, so.timeout);
                                  });
                         if (known_step)
                             overrides.push_back(std::move(so));
                     }
                 });
        if (name != selected)
            continue;
        // ALL's overrides first, so that a step's own override wins wherever it is written.
        for (const auto& o : overrides)
            if (o.name == all_steps)
                for (auto& s : steps)
                    o.apply_to(s);
        for (const auto& o : overrides)
            if (o.name != all_steps)
                for (auto& s : steps)
                    if (s.name == o.name)
                        o.apply_to(s);
    }
}

} // namespace tasker::detail
