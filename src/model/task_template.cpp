#include <tasker/model/names.hpp>
#include <tasker/model/task_template.hpp>

#include "name_table.hpp"

#include <range/v3/range/conversion.hpp>
#include <range/v3/view/transform.hpp>

#include <algorithm>
#include <charconv>
#include <memory>
#include <ostream>
#include <string>

namespace tasker {

namespace {

constexpr std::pair<staleness_action, std::string_view> staleness_action_names[] = {
    {staleness_action::dlq, "dlq"},
    {staleness_action::error, "error"},
    {staleness_action::none, "none"},
};

std::string step_path(std::size_t i) { return "steps[" + std::to_string(i) + "]"; }

// Shortest form that reads back exactly: 0.5, 2, 1.01.
std::string number_text(double d)
{
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(d);
}

// Checks one level of retry settings; `path` is where they were written ("retry",
// "steps[2].retry"). Field names in paths are the YAML ones, so loaders can locate them.
void check_retry(const retry_settings& r, const std::string& path, std::vector<problem>& problems)
{
    auto report = [&](std::string_view field, std::string message) {
        problems.push_back({path + "." + std::string(field), 0, 0, std::move(message)});
    };
    if (r.base && r.base->count() < 0)
        report("backoff_base_ms", "must not be negative, got " + std::to_string(r.base->count()));
    if (r.max && r.max->count() < 0)
        report("max_backoff_ms", "must not be negative, got " + std::to_string(r.max->count()));
    if (r.base && r.max && r.max->count() >= 0 && *r.max < *r.base)
        report("max_backoff_ms", "the cap on delays, " + std::to_string(r.max->count()) +
                                     " ms, is below the first delay, " + std::to_string(r.base->count()) + " ms");
    if (r.multiplier && !(*r.multiplier >= 1.0))
        report("backoff_multiplier", "must be at least 1, got " + number_text(*r.multiplier));
    if (r.jitter && !(*r.jitter >= 0.0 && *r.jitter <= 1.0))
        report("jitter", "must be between 0 and 1, got " + number_text(*r.jitter));
}

void check_minutes(const std::optional<std::chrono::minutes>& m, const std::string& path,
                   std::vector<problem>& problems)
{
    if (m && m->count() <= 0)
        problems.push_back({path, 0, 0, "must be a positive number of minutes, got " + std::to_string(m->count())});
}

void check_lifecycle(const lifecycle_limits& l, std::vector<problem>& problems)
{
    auto check = [&](const std::optional<std::chrono::minutes>& m, std::string_view field) {
        check_minutes(m, "lifecycle." + std::string(field), problems);
    };
    check(l.max_duration, "max_duration_minutes");
    check(l.max_waiting_for_dependencies, "max_waiting_for_dependencies_minutes");
    check(l.max_waiting_for_retry, "max_waiting_for_retry_minutes");
    check(l.max_steps_in_process, "max_steps_in_process_minutes");
}

void check_name(std::string_view name, const std::string& path, std::string_view what, std::vector<problem>& problems)
{
    if (auto ok = check_identifier(name, max_name_length, what); !ok)
        problems.push_back({path, 0, 0, ok.error().message});
}

// A step's batch_config: its values, and that its worker_template is a batch_worker step.
void check_batch(const task_template& t, const step_template& s, const std::string& path,
                 std::vector<problem>& problems)
{
    const auto& b = *s.batch;
    auto report = [&](std::string_view field, std::string message) {
        problems.push_back({path + "." + std::string(field), 0, 0, std::move(message)});
    };
    if (s.type != step_type::batchable && s.type != step_type::batch_worker)
        problems.push_back({path, 0, 0,
                            "batch_config applies to batchable and batch_worker steps; step '" + s.name + "' is " +
                                std::string(to_string(s.type))});
    if (b.batch_size < 1 || b.batch_size > batch_config::max_batch_size)
        report("batch_size", "must be between 1 and " + std::to_string(batch_config::max_batch_size) + ", got " +
                                 std::to_string(b.batch_size));
    if (b.parallelism < 1 || b.parallelism > batch_config::max_parallelism)
        report("parallelism", "must be between 1 and " + std::to_string(batch_config::max_parallelism) + ", got " +
                                  std::to_string(b.parallelism));
    if (b.cursor_field.empty())
        report("cursor_field", "must name the field a worker's cursor ranges over");
    if (b.worker_template.empty()) {
        report("worker_template", "must name the batch_worker step each worker is made from");
        return;
    }
    const auto worker = std::find_if(t.steps.begin(), t.steps.end(),
                                     [&](const step_template& w) { return w.name == b.worker_template; });
    if (worker == t.steps.end())
        report("worker_template", "worker_template '" + b.worker_template + "' names no step of this template");
    else if (worker->type != step_type::batch_worker)
        report("worker_template", "worker_template '" + b.worker_template + "' is a " +
                                      std::string(to_string(worker->type)) + " step; it must be a batch_worker step");
}

// Compiles a schema of the template; its problems are located under `path`.
std::shared_ptr<const json_schema> compile_schema(const json::value& schema, const std::string& path,
                                                  std::vector<problem>& problems)
{
    auto compiled = json_schema::compile(schema);
    if (compiled)
        return std::make_shared<const json_schema>(std::move(*compiled));
    for (auto p : compiled.error().problems) {
        p.path = p.path.empty() ? path : path + "." + p.path;
        problems.push_back(std::move(p));
    }
    return nullptr;
}

} // namespace

std::string_view to_string(staleness_action a) noexcept { return detail::name_in(staleness_action_names, a); }

std::optional<staleness_action> staleness_action_from_string(std::string_view s) noexcept
{
    return detail::value_in(staleness_action_names, s);
}

std::ostream& operator<<(std::ostream& os, staleness_action a) { return os << to_string(a); }

std::string template_key::to_string() const { return namespace_name + "/" + name + "@" + version.to_string(); }

std::ostream& operator<<(std::ostream& os, const template_key& k) { return os << k.to_string(); }

std::string template_ref::to_string() const
{
    return namespace_name + "/" + name + "@" + (version ? version->to_string() : std::string("latest"));
}

std::optional<std::uint32_t> task_template::step_index(std::string_view step_name) const noexcept
{
    if (graph.size() == steps.size())
        if (auto i = graph.find(step_name))
            return *i;
    for (std::uint32_t i = 0; i < steps.size(); ++i)
        if (steps[i].name == step_name)
            return i;
    return std::nullopt;
}

result<task_template> validate_template(task_template t, const template_options& options)
{
    std::vector<problem> problems;

    if (auto ok = check_namespace_name(t.namespace_name); !ok)
        problems.push_back({"namespace_name", 0, 0, ok.error().message});
    check_name(t.name, "name", "template", problems);
    if (t.steps.empty())
        problems.push_back({"steps", 0, 0, "a template needs at least one step"});
    check_retry(t.retry, "retry", problems);
    check_lifecycle(t.lifecycle, problems);

    for (std::size_t i = 0; i < t.steps.size(); ++i) {
        const auto& s = t.steps[i];
        const auto path = step_path(i);
        if (!s.name.empty()) // an empty name is reported by the graph below
            check_name(s.name, path + ".name", "step", problems);
        if (s.handler.callable.empty())
            problems.push_back({path + ".handler.callable", 0, 0,
                                "step '" + s.name + "' names no handler (handler.callable is empty)"});
        if (!s.handler.initialization.is_null() && !s.handler.initialization.is_object())
            problems.push_back({path + ".handler.initialization", 0, 0, "must be a mapping of configuration values"});
        check_retry(s.retry, path + ".retry", problems);
        // The cap may come from the task level while the base comes from the step: check the merge.
        const auto merged = s.retry.over(t.retry);
        if (merged.base && merged.max && (!s.retry.base || !s.retry.max) && merged.base->count() >= 0 &&
            merged.max->count() >= 0 && *merged.max < *merged.base)
            problems.push_back({path + ".retry", 0, 0,
                                "backoff_base_ms " + std::to_string(merged.base->count()) +
                                    " ms is above the cap max_backoff_ms " + std::to_string(merged.max->count()) +
                                    " ms it inherits"});
        if (s.timeout && s.timeout->count() <= 0)
            problems.push_back({path + ".timeout_seconds", 0, 0,
                                "must be a positive number of seconds, got " + std::to_string(s.timeout->count())});
        check_minutes(s.lifecycle.max_steps_in_process, path + ".lifecycle.max_steps_in_process_minutes", problems);
        if (s.batch)
            check_batch(t, s, path + ".batch_config", problems);
        if (!s.result_schema.is_null())
            t.steps[i].compiled_result_schema = compile_schema(s.result_schema, path + ".result_schema", problems);
    }

    const auto nodes = t.steps | ranges::views::transform([](const step_template& s) {
                           return dag_node{s.name, s.dependencies};
                       }) |
                       ranges::to<std::vector>();
    auto graph = dag::build(nodes);
    if (graph) {
        t.graph = std::move(*graph);
        build_dynamic_structure(t, options.creation, problems);
    } else
        for (auto& p : graph.error().problems) // error() returns a copy: iterate one object
            problems.push_back(std::move(p));

    if (!t.input_schema.is_null())
        t.schema = compile_schema(t.input_schema, "input_schema", problems);

    if (!problems.empty()) {
        const auto n = problems.size();
        const auto who = t.name.empty() ? std::string("template") : "template '" + t.key().to_string() + "'";
        return error{errc::invalid_template, who + " has " + std::to_string(n) + (n == 1 ? " problem" : " problems"),
                     std::move(problems)};
    }

    for (auto& s : t.steps)
        s.effective_retry = s.retry.over(t.retry).over(options.retry_defaults);
    return t;
}

} // namespace tasker
