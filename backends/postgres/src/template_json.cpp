#include "template_json.hpp"

#include <tasker/retry/retry_policy.hpp>

#include <boost/json/value_to.hpp>

#include <string>

namespace tasker::postgres::detail {

namespace {

json::object retry_json(const retry_settings& r)
{
    json::object o;
    if (r.retryable)
        o["retryable"] = *r.retryable;
    if (r.max_attempts)
        o["max_attempts"] = *r.max_attempts;
    if (r.backoff)
        o["backoff"] = to_string(*r.backoff);
    if (r.base)
        o["backoff_base_ms"] = r.base->count();
    if (r.max)
        o["max_backoff_ms"] = r.max->count();
    if (r.multiplier)
        o["backoff_multiplier"] = *r.multiplier;
    if (r.jitter)
        o["jitter"] = *r.jitter;
    return o;
}

json::object lifecycle_json(const lifecycle_limits& l)
{
    json::object o;
    auto minutes = [&](std::string_view key, const std::optional<std::chrono::minutes>& m) {
        if (m)
            o[key] = m->count();
    };
    minutes("max_duration_minutes", l.max_duration);
    minutes("max_waiting_for_dependencies_minutes", l.max_waiting_for_dependencies);
    minutes("max_waiting_for_retry_minutes", l.max_waiting_for_retry);
    minutes("max_steps_in_process_minutes", l.max_steps_in_process);
    o["staleness_action"] = to_string(l.action);
    return o;
}

json::object step_json(const step_template& s)
{
    json::object o;
    o["name"] = s.name;
    if (!s.description.empty())
        o["description"] = s.description;
    o["type"] = to_string(s.type);
    json::object handler;
    handler["callable"] = s.handler.callable;
    if (!s.handler.method.empty())
        handler["method"] = s.handler.method;
    if (!s.handler.resolver.empty())
        handler["resolver"] = s.handler.resolver;
    if (!s.handler.initialization.is_null())
        handler["initialization"] = s.handler.initialization;
    o["handler"] = std::move(handler);
    json::array dependencies;
    for (const auto& d : s.dependencies)
        dependencies.emplace_back(d);
    o["dependencies"] = std::move(dependencies);
    if (auto r = retry_json(s.retry); !r.empty())
        o["retry"] = std::move(r);
    if (s.timeout)
        o["timeout_seconds"] = s.timeout->count();
    if (s.lifecycle.max_steps_in_process)
        o["lifecycle"] = json::object{{"max_steps_in_process_minutes", s.lifecycle.max_steps_in_process->count()}};
    if (s.batch)
        o["batch_config"] = json::object{{"batch_size", s.batch->batch_size},
                                         {"parallelism", s.batch->parallelism},
                                         {"cursor_field", s.batch->cursor_field},
                                         {"worker_template", s.batch->worker_template},
                                         {"failure_strategy", to_string(s.batch->failure_strategy)}};
    if (!s.result_schema.is_null())
        o["result_schema"] = s.result_schema;
    return o;
}

error corrupt(std::string what)
{
    return error{errc::database_error, "tasker.templates holds an unreadable template: " + std::move(what)};
}

result<retry_policy> policy_from_json(const json::value& v)
{
    const auto* o = v.if_object();
    if (!o)
        return corrupt("an effective retry policy is not an object");
    try {
        retry_policy p;
        p.retryable = o->at("retryable").as_bool();
        p.max_attempts = json::value_to<std::uint32_t>(o->at("max_attempts"));
        auto kind = backoff_kind_from_string(o->at("backoff").as_string());
        if (!kind)
            return corrupt("unknown backoff '" + std::string(o->at("backoff").as_string()) + "'");
        p.backoff = *kind;
        p.base = milliseconds(json::value_to<std::int64_t>(o->at("base_ms")));
        p.multiplier = json::value_to<double>(o->at("multiplier"));
        p.max = milliseconds(json::value_to<std::int64_t>(o->at("max_ms")));
        p.jitter = json::value_to<double>(o->at("jitter"));
        return p;
    } catch (const std::exception& e) {
        return corrupt(std::string("an effective retry policy: ") + e.what());
    }
}

} // namespace

json::object definition_json(const task_template& t)
{
    json::object o;
    o["name"] = t.name;
    o["namespace_name"] = t.namespace_name;
    o["version"] = t.version.to_string();
    if (!t.description.empty())
        o["description"] = t.description;
    if (!t.input_schema.is_null())
        o["input_schema"] = t.input_schema;
    if (!t.metadata.is_null())
        o["metadata"] = t.metadata;
    if (!t.loaded_from.empty())
        o["loaded_from"] = t.loaded_from;
    if (auto r = retry_json(t.retry); !r.empty())
        o["retry"] = std::move(r);
    o["lifecycle"] = lifecycle_json(t.lifecycle);
    if (t.identity)
        o["identity_strategy"] = to_string(*t.identity);
    json::array steps;
    steps.reserve(t.steps.size());
    for (const auto& s : t.steps)
        steps.push_back(step_json(s));
    o["steps"] = std::move(steps);
    return o;
}

json::array effective_retry_json(const task_template& t)
{
    json::array out;
    out.reserve(t.steps.size());
    for (const auto& s : t.steps) {
        const auto& p = s.effective_retry;
        out.push_back(json::object{{"retryable", p.retryable},
                                   {"max_attempts", p.max_attempts},
                                   {"backoff", to_string(p.backoff)},
                                   {"base_ms", p.base.count()},
                                   {"multiplier", p.multiplier},
                                   {"max_ms", p.max.count()},
                                   {"jitter", p.jitter}});
    }
    return out;
}

result<task_template> template_from_json(std::string_view definition, std::string_view effective_retry,
                                         const creation_limits& creation)
{
    template_options options;
    options.creation = creation;
    auto t = load_template(definition, options);
    if (!t)
        return corrupt(t.error().what());
    auto policies = parse_json(effective_retry);
    if (!policies)
        return corrupt(policies.error().what());
    const auto* list = policies->if_array();
    if (!list || list->size() != t->steps.size())
        return corrupt("template '" + t->key().to_string() + "' has " + std::to_string(t->steps.size()) +
                       " steps but not as many effective retry policies");
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto p = policy_from_json((*list)[i]);
        if (!p)
            return p.error();
        t->steps[i].effective_retry = *p;
    }
    return t;
}

} // namespace tasker::postgres::detail
