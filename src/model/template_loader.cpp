// Loads a task template from YAML text or a file: reads it (template_reader), validates it
// (`validate_template`) and reports every problem of both, located and in text order.
#include <tasker/model/detail/template_text.hpp>
#include <tasker/model/task_template.hpp>

#include "template_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace tasker {

namespace {

// Whether `path` is `prefix` or a path inside it.
bool under(std::string_view path, std::string_view prefix)
{
    return path.starts_with(prefix) &&
           (path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[');
}

} // namespace

namespace detail {

result<template_text> read_template_text(std::string_view yaml, const template_options& options)
{
    auto malformed = [](const YAML::Exception& e) {
        problem p{"", 0, 0, e.msg};
        if (!e.mark.is_null())
            p.line = e.mark.line + 1, p.column = e.mark.column + 1;
        return error{errc::malformed_yaml, "the template is not valid YAML", {std::move(p)}};
    };
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        return malformed(e);
    }
    template_reader r;
    template_text out;
    try {
        out.tmpl = r.read_template(root, options);
    } catch (const YAML::Exception& e) { // yaml-cpp throws on some malformed trees it accepted lazily
        return malformed(e);
    }
    out.problems = std::move(r.problems);
    if (!out.problems.empty() && out.problems.front().path.empty()) // nothing was read
        return error{errc::invalid_template, "the text is not a task template", std::move(out.problems)};
    for (auto& p : out.problems)
        r.locate(p);
    auto reader = std::make_shared<const template_reader>(std::move(r));
    out.locate = [reader](problem& p) { reader->locate(p); };
    return out;
}

} // namespace detail

result<task_template> load_template(std::string_view yaml, const template_options& options)
{
    auto text = detail::read_template_text(yaml, options);
    if (!text)
        return text.error();
    auto parse_problems = std::move(text->problems);
    auto validated = validate_template(std::move(text->tmpl), options);
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
        text->locate(p);
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
