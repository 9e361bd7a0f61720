#pragma once
// The YAML side of `load_template`: yaml-cpp stays private to src/model, the public API
// speaks JSON and C++ structs.

#include "template_keys.hpp"

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker::detail {

/// Reads the YAML tree of a task template (tasker-core's format) into a `task_template`,
/// reporting every problem with its path, line and column. It remembers where every path was
/// written, so that a problem found later (by `validate_template`) can be located too.
class template_reader {
public:
    /// What the reading found wrong, in the order met. A problem with an empty path means the
    /// text is not a template at all.
    std::vector<problem> problems;

    /// The template as written, with `environments.<options.environment>` applied. May throw
    /// YAML::Exception on trees yaml-cpp accepted lazily.
    task_template read_template(const YAML::Node& root, const template_options& options);

    /// Gives `p` a line and column if it has none: those of the longest prefix of its path that
    /// was written in the text.
    void locate(problem& p) const;

private:
    void remember(const std::string& path, const YAML::Node& n);
    void report(const std::string& path, const YAML::Node& n, std::string message);

    json::value to_json(const YAML::Node& n, const std::string& path);
    std::optional<std::string> string_value(const YAML::Node& n, const std::string& path);
    std::optional<bool> bool_value(const YAML::Node& n, const std::string& path);
    std::optional<std::int64_t> int_value(const YAML::Node& n, const std::string& path);
    std::optional<double> number_value(const YAML::Node& n, const std::string& path);
    bool is_map(const YAML::Node& n, const std::string& path, std::string_view what);
    /// Visits each key of a mapping, reporting unknown and repeated ones; `visit(key, value, path)`.
    template <class Visit>
    void each_key(const YAML::Node& map, const std::string& path, std::string_view where, keys known, keys ignored,
                  Visit&& visit);

    void read_retry(const YAML::Node& n, const std::string& path, retry_settings& r);
    void read_lifecycle(const YAML::Node& n, const std::string& path, lifecycle_limits& l);
    std::vector<std::string> read_names(const YAML::Node& n, const std::string& path);
    void read_handler(const YAML::Node& n, const std::string& path, handler_spec& h);
    void read_timeout(const YAML::Node& n, const std::string& path, std::optional<seconds>& timeout);
    step_template read_step(const YAML::Node& n, const std::string& path);
    /// Applies `environments.<env>.steps[]`: by step name, handler initialization (merged key
    /// by key), handler callable, retry (field by field) and timeout. Every environment is
    /// checked, only the selected one applied.
    void read_environments(const YAML::Node& n, const std::string& path, const std::string& selected,
                           std::vector<step_template>& steps);
    void read_override(const YAML::Node& o, const std::string& path, bool apply, std::vector<step_template>& steps);

    std::map<std::string, YAML::Mark> marks_;
};

} // namespace tasker::detail
