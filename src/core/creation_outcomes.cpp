#include <tasker/core/creation_outcomes.hpp>

#include <boost/json.hpp>

#include <string_view>

namespace tasker {

namespace {

error invalid(std::string message) { return error{errc::invalid_outcome, std::move(message)}; }

const json::object* object_at(const json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

result<std::int64_t> integer_at(const json::object& o, std::string_view key, std::string_view where)
{
    const auto* v = o.if_contains(key);
    if (!v)
        return invalid(std::string(where) + " has no '" + std::string(key) + "'");
    if (v->is_int64())
        return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double() && v->get_double() == static_cast<double>(static_cast<std::int64_t>(v->get_double())))
        return static_cast<std::int64_t>(v->get_double());
    return invalid(std::string(where) + "." + std::string(key) + " must be an integer, got " +
                   json::serialize(*v));
}

bool valid_batch_id(std::string_view id)
{
    if (id.empty() || id.size() > 16)
        return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

/// The `type` of an outcome object, or why it has none.
result<std::string_view> outcome_type(const json::value& step_result, std::string_view key,
                                      const json::object*& outcome)
{
    const auto* top = step_result.if_object();
    outcome = top ? object_at(*top, key) : nullptr;
    if (!outcome)
        return invalid("the step's result has no '" + std::string(key) + "' object");
    const auto* type = outcome->if_contains("type");
    if (!type || !type->is_string())
        return invalid(std::string(key) + " has no 'type' string");
    return std::string_view(type->get_string());
}

} // namespace

json::value to_result(const decision_outcome& o)
{
    json::object outcome;
    if (o.steps.empty()) {
        outcome["type"] = "no_branches";
    } else {
        outcome["type"] = "create_steps";
        json::array names;
        for (const auto& n : o.steps)
            names.emplace_back(n);
        outcome["step_names"] = std::move(names);
    }
    return json::object{{"decision_point_outcome", std::move(outcome)}};
}

json::value to_json(const batch_cursor& c)
{
    return json::object{{"batch_id", c.batch_id},
                        {"start_cursor", c.start},
                        {"end_cursor", c.end},
                        {"batch_size", c.size},
                        {"total_items", c.total}};
}

json::value to_result(const batch_outcome& o)
{
    json::object outcome;
    if (o.batches.empty()) {
        outcome["type"] = "no_batches";
    } else {
        outcome["type"] = "create_batches";
        outcome["worker_template_name"] = o.worker_template;
        outcome["worker_count"] = o.batches.size();
        json::array cursors;
        for (const auto& c : o.batches)
            cursors.push_back(to_json(c));
        outcome["cursor_configs"] = std::move(cursors);
        outcome["total_items"] = o.total_items;
    }
    return json::object{{"batch_processing_outcome", std::move(outcome)}};
}

json::value to_json(const batch_checkpoint& c)
{
    return json::object{{"cursor", c.cursor}, {"items_processed", c.items_processed}, {"accumulated", c.accumulated}};
}

result<decision_outcome> decision_outcome_of(const json::value& step_result)
{
    const json::object* o = nullptr;
    auto type = outcome_type(step_result, "decision_point_outcome", o);
    if (!type)
        return type.error();
    if (*type == "no_branches")
        return decision_outcome{};
    if (*type != "create_steps")
        return invalid("decision_point_outcome.type is '" + std::string(*type) +
                       "' (expected create_steps or no_branches)");
    const auto* names = o->if_contains("step_names");
    if (!names || !names->is_array())
        return invalid("decision_point_outcome of type create_steps has no 'step_names' list");
    decision_outcome out;
    for (const auto& n : names->get_array()) {
        if (!n.is_string())
            return invalid("decision_point_outcome.step_names holds " + json::serialize(n) + ", not a step name");
        out.steps.emplace_back(n.get_string());
    }
    if (out.steps.empty())
        return invalid("decision_point_outcome of type create_steps names no step (use no_branches)");
    return out;
}

result<batch_cursor> batch_cursor_of(const json::value& v)
{
    const auto* o = v.if_object();
    if (!o)
        return invalid("a batch cursor must be an object, got " + json::serialize(v));
    const auto* id = o->if_contains("batch_id");
    batch_cursor c;
    if (id && id->is_string())
        c.batch_id = std::string(id->get_string());
    else if (id && id->is_int64() && id->get_int64() >= 0)
        c.batch_id = std::to_string(id->get_int64());
    if (!valid_batch_id(c.batch_id))
        return invalid("batch_id must be 1 to 16 of [a-z0-9_], got " + (id ? json::serialize(*id) : "nothing"));
    const std::string where = "cursor of batch '" + c.batch_id + "'";
    auto start = integer_at(*o, "start_cursor", where);
    if (!start)
        return start.error();
    auto end = integer_at(*o, "end_cursor", where);
    if (!end)
        return end.error();
    if (*end < *start)
        return invalid(where + " ends (" + std::to_string(*end) + ") before it starts (" + std::to_string(*start) + ")");
    c.start = *start;
    c.end = *end;
    c.size = c.end - c.start;
    if (o->contains("batch_size")) {
        auto size = integer_at(*o, "batch_size", where);
        if (!size)
            return size.error();
        c.size = *size;
    }
    if (o->contains("total_items")) {
        auto total = integer_at(*o, "total_items", where);
        if (!total)
            return total.error();
        c.total = *total;
    }
    return c;
}

result<batch_outcome> batch_outcome_of(const json::value& step_result)
{
    const json::object* o = nullptr;
    auto type = outcome_type(step_result, "batch_processing_outcome", o);
    if (!type)
        return type.error();
    if (*type == "no_batches")
        return batch_outcome{};
    if (*type != "create_batches")
        return invalid("batch_processing_outcome.type is '" + std::string(*type) +
                       "' (expected create_batches or no_batches)");
    batch_outcome out;
    const auto* worker = o->if_contains("worker_template_name");
    if (!worker || !worker->is_string() || worker->get_string().empty())
        return invalid("batch_processing_outcome of type create_batches names no worker_template_name");
    out.worker_template = std::string(worker->get_string());
    const auto* cursors = o->if_contains("cursor_configs");
    if (!cursors || !cursors->is_array() || cursors->get_array().empty())
        return invalid("batch_processing_outcome of type create_batches has no cursor_configs (use no_batches)");
    for (const auto& c : cursors->get_array()) {
        auto cursor = batch_cursor_of(c);
        if (!cursor)
            return cursor.error();
        out.batches.push_back(std::move(*cursor));
    }
    if (const auto* count = o->if_contains("worker_count");
        count && !(count->is_number() && count->to_number<double>() == static_cast<double>(out.batches.size())))
        return invalid("batch_processing_outcome.worker_count is " + json::serialize(*count) + " but " +
                       std::to_string(out.batches.size()) + " cursor_configs are given");
    if (o->contains("total_items")) {
        auto total = integer_at(*o, "total_items", "batch_processing_outcome");
        if (!total)
            return total.error();
        out.total_items = *total;
    }
    for (auto& c : out.batches)
        if (c.total == 0)
            c.total = out.total_items;
    return out;
}

result<batch_checkpoint> batch_checkpoint_of(const json::value& v)
{
    const auto* o = v.if_object();
    if (!o)
        return invalid("a checkpoint must be an object, got " + json::serialize(v));
    batch_checkpoint c;
    auto cursor = integer_at(*o, "cursor", "checkpoint");
    if (!cursor)
        return cursor.error();
    c.cursor = *cursor;
    if (o->contains("items_processed")) {
        auto n = integer_at(*o, "items_processed", "checkpoint");
        if (!n)
            return n.error();
        c.items_processed = *n;
    }
    if (const auto* acc = o->if_contains("accumulated"))
        c.accumulated = *acc;
    return c;
}

} // namespace tasker
