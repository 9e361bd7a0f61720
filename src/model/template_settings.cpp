// Settings blocks of a task template (see template_reader.hpp): retry, lifecycle (of the
// template and of a step) and batch_config. Their values are range-checked by
// `validate_template`, which sees templates built in C++ too; what only the text can get wrong
// (types, spellings, keys given twice) is reported here.
#include "template_reader.hpp"

#include "template_keys.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace tasker::detail {

namespace {

// Both spellings of one setting in one block: the message names both keys.
std::string both_spellings(const std::string& second, const std::string& first, std::string_view what)
{
    return "'" + second + "' and '" + first + "' both set " + std::string(what) + "; write one of them";
}

} // namespace

std::optional<milliseconds> template_reader::read_seconds(const YAML::Node& n, const std::string& path)
{
    const auto s = number_value(n, path);
    if (!s)
        return std::nullopt;
    if (*s < 0) {
        report(path, n, "must not be negative, got " + n.Scalar());
        return std::nullopt;
    }
    if (*s > 1e9) {
        report(path, n, "is too long a delay: " + n.Scalar() + " seconds");
        return std::nullopt;
    }
    return milliseconds(std::llround(*s * 1000.0));
}

void template_reader::read_retry(const YAML::Node& n, const std::string& path, retry_settings& r)
{
    if (!is_map(n, path, "retry"))
        return;
    // Which key of each pair of spellings set the value, for "given twice" messages.
    std::string attempts_key, base_key, max_key;
    each_key(n, path, "retry", retry_keys, {}, [&](const std::string& key, const YAML::Node& v, const std::string& here) {
        if (key == "retryable") {
            r.retryable = bool_value(v, here);
        } else if (key == "max_attempts" || key == "limit") {
            if (!attempts_key.empty()) {
                report(here, v, both_spellings(key, attempts_key, "the number of attempts"));
                return;
            }
            attempts_key = key;
            remember(path + ".max_attempts", v);
            if (auto i = int_value(v, here)) {
                if (*i < 0 || *i > 1'000'000)
                    report(here, v, "must be between 0 and 1000000, got " + std::to_string(*i));
                else
                    r.max_attempts = static_cast<std::uint32_t>(*i);
            }
        } else if (key == "backoff") {
            if (auto s = string_value(v, here)) {
                r.backoff = backoff_kind_from_string(*s);
                if (!r.backoff)
                    report(here, v,
                           "unknown backoff '" + *s +
                               "' (expected exponential, linear, fibonacci, constant, fixed or none)");
            }
        } else if (key == "backoff_base_ms" || key == "initial_delay" || key == "max_backoff_ms" ||
                   key == "max_delay") {
            const bool base = key == "backoff_base_ms" || key == "initial_delay";
            auto& spelled = base ? base_key : max_key;
            if (!spelled.empty()) {
                report(here, v,
                       both_spellings(key, spelled, base ? "the delay after the first failure" : "the cap on delays"));
                return;
            }
            spelled = key;
            // Validation speaks of the millisecond keys: locate its findings here too.
            remember(path + (base ? ".backoff_base_ms" : ".max_backoff_ms"), v);
            std::optional<milliseconds> value;
            if (key == "initial_delay" || key == "max_delay") {
                value = read_seconds(v, here);
            } else if (auto i = int_value(v, here)) {
                value = milliseconds(*i);
            }
            if (value)
                (base ? r.base : r.max) = *value;
        } else if (key == "backoff_multiplier") {
            r.multiplier = number_value(v, here);
        } else if (key == "jitter") {
            r.jitter = number_value(v, here);
        }
    });
}

void template_reader::read_lifecycle(const YAML::Node& n, const std::string& path, lifecycle_limits& l)
{
    if (!is_map(n, path, "lifecycle"))
        return;
    each_key(n, path, "lifecycle", lifecycle_keys, ignored_lifecycle_keys,
             [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                 if (key == "staleness_action") {
                     if (auto s = string_value(v, here)) {
                         if (auto action = staleness_action_from_string(*s))
                             l.action = *action;
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

void template_reader::read_step_lifecycle(const YAML::Node& n, const std::string& path, step_lifecycle& l)
{
    if (!is_map(n, path, "a step's lifecycle"))
        return;
    each_key(n, path, "step lifecycle", step_lifecycle_keys, ignored_step_lifecycle_keys,
             [&](const std::string&, const YAML::Node& v, const std::string& here) {
                 if (auto i = int_value(v, here))
                     l.max_steps_in_process = std::chrono::minutes(*i);
             });
}

void template_reader::read_batch_config(const YAML::Node& n, const std::string& path, std::optional<batch_config>& out)
{
    if (!is_map(n, path, "batch_config"))
        return;
    require(n, path, {"batch_size", "parallelism", "cursor_field", "worker_template"}, "batch_config");
    batch_config b;
    each_key(n, path, "batch_config", batch_config_keys, {},
             [&](const std::string& key, const YAML::Node& v, const std::string& here) {
                 if (key == "batch_size" || key == "parallelism") {
                     if (auto i = int_value(v, here)) {
                         // Out of range values are validation's to report; keep them visible to it.
                         const auto clamped = std::clamp<std::int64_t>(*i, 0, std::numeric_limits<std::uint32_t>::max());
                         (key == "batch_size" ? b.batch_size : b.parallelism) = static_cast<std::uint32_t>(clamped);
                         if (clamped != *i)
                             report(here, v, "must be a positive integer, got " + std::to_string(*i));
                     }
                 } else if (key == "cursor_field" || key == "worker_template") {
                     if (auto s = string_value(v, here))
                         (key == "cursor_field" ? b.cursor_field : b.worker_template) = *s;
                 } else if (key == "failure_strategy") {
                     if (auto s = string_value(v, here)) {
                         if (auto strategy = batch_failure_strategy_from_string(*s))
                             b.failure_strategy = *strategy;
                         else
                             report(here, v,
                                    "unknown failure_strategy '" + *s +
                                        "' (expected fail_fast, continue_on_failure or isolate)");
                     }
                 }
             });
    out = std::move(b);
}

} // namespace tasker::detail
