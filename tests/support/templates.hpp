#pragma once
// Builds small templates in C++ for the core's tests.

#include <tasker/model/task_template.hpp>

#include "support/catch.hpp"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace tasker::test {

struct step_spec {
    std::string name;
    std::vector<std::string> deps = {};
    retry_settings retry = {};
};

/// A validated template named ns/name@1.0.0 whose every step runs handler "h.<step>".
inline template_ptr make_template(std::vector<step_spec> specs, std::string ns = "tests", std::string name = "wf",
                                  retry_settings task_retry = {}, template_options options = {})
{
    task_template t;
    t.name = std::move(name);
    t.namespace_name = std::move(ns);
    t.version = semver{1, 0, 0, {}, {}};
    t.retry = task_retry;
    for (auto& s : specs) {
        step_template st;
        st.name = s.name;
        st.handler.callable = "h." + s.name;
        st.dependencies = s.deps;
        st.retry = s.retry;
        t.steps.push_back(std::move(st));
    }
    auto v = validate_template(std::move(t), options);
    if (!v)
        FAIL("test template is invalid: " << v.error());
    return std::make_shared<const task_template>(std::move(*v));
}

/// start -> {b, c} -> end
inline template_ptr diamond(retry_settings retry = {})
{
    return make_template({{"start", {}, retry}, {"b", {"start"}, retry}, {"c", {"start"}, retry},
                          {"end", {"b", "c"}, retry}});
}

} // namespace tasker::test
