#pragma once
// How the template reader types a YAML scalar: YAML 1.2 core schema null, bool, int and
// finite float, read from the text as written (yaml-cpp leaves typing to its caller).

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tasker::detail {

/// Written in quotes (or tagged !!str): a string whatever it looks like.
bool is_quoted(const YAML::Node& n);
bool is_null_scalar(std::string_view s);
std::optional<bool> bool_scalar(std::string_view s);
std::optional<std::int64_t> int_scalar(std::string_view s);
/// Finite floats only (JSON has no inf or nan).
std::optional<double> float_scalar(std::string_view s);
/// The node as an error message shows it: the scalar quoted, else "a list", "a mapping" or "nothing".
std::string describe(const YAML::Node& n);

} // namespace tasker::detail
