#pragma once

#include <tasker/error.hpp>
#include <tasker/model/task_template.hpp>

#include <functional>
#include <string_view>
#include <vector>

namespace tasker::detail {

/// A template as its YAML text writes it, before `validate_template`: the struct (with the
/// selected environment's overrides applied) and what the reading itself found wrong (unknown
/// keys, wrong types, bad values), each problem located by path, line and column.
struct template_text {
    task_template tmpl;
    std::vector<problem> problems;
    /// Gives a problem found later (by `validate_template`) the line and column of the longest
    /// prefix of its path written in the text.
    std::function<void(problem&)> locate;
};

/// The first half of `load_template`. Malformed YAML is `errc::malformed_yaml`; a text that is
/// not a template at all (not a mapping) is `errc::invalid_template`. Anything else comes back
/// as a `template_text`, problems included.
result<template_text> read_template_text(std::string_view yaml, const template_options& options = {});

} // namespace tasker::detail
