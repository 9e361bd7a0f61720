#pragma once
// The YAML side of `load_template`: yaml-cpp stays private to src/model, the public API
// speaks JSON and C++ structs.

#include "template_keys.hpp"

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>
#include <tasker/model/task_template.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker::detail {

/// Reads the YAML tree of a task template (tasker-core's format) into a `task_template`,
/// reporting every problem with its path, line and column. It remembers where every path was
/// written, so that a problem found later (by `validate_template`) can be located too.
///
/// tasker-core's conventions hold throughout: a key whose value is null (`~`, or nothing) is
/// as good as absent, and a key may be written as a Ruby symbol (`:name:`), as Ruby's YAML
/// writer does; required keys must have a value.
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
    using visitor = std::function<void(const std::string& key, const YAML::Node& value, const std::string& path)>;

    // Values (template_reader.cpp)
    void remember(const std::string& path, const YAML::Node& n);
    void report(const std::string& path, const YAML::Node& n, std::string message);
    json::value to_json(const YAML::Node& n, const std::string& path);
    std::optional<std::string> string_value(const YAML::Node& n, const std::string& path);
    std::optional<bool> bool_value(const YAML::Node& n, const std::string& path);
    std::optional<std::int64_t> int_value(const YAML::Node& n, const std::string& path);
    std::optional<double> number_value(const YAML::Node& n, const std::string& path);
    bool is_map(const YAML::Node& n, const std::string& path, std::string_view what);
    /// Visits each key of a mapping with a value, reporting unknown and repeated ones. A
    /// `:key` counts as `key`; keys in `ignored` are accepted and not visited.
    void each_key(const YAML::Node& map, const std::string& path, std::string_view where, keys known, keys ignored,
                  const visitor& visit);
    /// Reports each of `required` that `map` lacks or leaves without a value.
    void require(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> required,
                 std::string_view where);

    // The template and its steps (template_reader.cpp)
    std::vector<std::string> read_names(const YAML::Node& n, const std::string& path);
    void read_handler(const YAML::Node& n, const std::string& path, handler_spec& h);
    void read_timeout(const YAML::Node& n, const std::string& path, std::optional<seconds>& timeout);
    step_template read_step(const YAML::Node& n, const std::string& path);

    // Settings blocks (template_settings.cpp)
    void read_retry(const YAML::Node& n, const std::string& path, retry_settings& r);
    /// `initial_delay` / `max_delay`: seconds, possibly fractional, as milliseconds.
    std::optional<milliseconds> read_seconds(const YAML::Node& n, const std::string& path);
    void read_lifecycle(const YAML::Node& n, const std::string& path, lifecycle_limits& l);
    void read_step_lifecycle(const YAML::Node& n, const std::string& path, step_lifecycle& l);
    void read_batch_config(const YAML::Node& n, const std::string& path, std::optional<batch_config>& out);

    // Environments (template_environments.cpp)
    /// Applies `environments.<selected>.steps[]`: the overrides of `ALL` to every step first,
    /// then each named step's own, in the order written. Every environment is checked, only the
    /// selected one applied.
    void read_environments(const YAML::Node& n, const std::string& path, const std::string& selected,
                           std::vector<step_template>& steps);

    std::map<std::string, YAML::Mark> marks_;
};

/// `map[key]`, or `map[":key"]` (a Ruby symbol key) when there is no plain one.
YAML::Node child(const YAML::Node& map, std::string_view key);

/// True for a YAML null: `~`, `null`, or no value at all (a quoted "~" is a string).
bool is_null(const YAML::Node& n);

} // namespace tasker::detail
