#include <tasker/messaging/message.hpp>

#include <boost/json/object.hpp>

#include <ostream>

namespace tasker {

std::string_view to_string(message_kind k) noexcept
{
    switch (k) {
    case message_kind::step_ready: return "step_ready";
    case message_kind::step_result: return "step_result";
    case message_kind::retry_due: return "retry_due";
    }
    return "unknown";
}

std::optional<message_kind> message_kind_from_string(std::string_view s) noexcept
{
    for (auto k : {message_kind::step_ready, message_kind::step_result, message_kind::retry_due})
        if (to_string(k) == s)
            return k;
    return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, message_kind k) { return os << to_string(k); }

std::ostream& operator<<(std::ostream& os, const message& m)
{
    return os << m.kind << "{task=" << m.task << " step=" << m.step << " attempt=" << m.attempt << "}";
}

json::object to_json(const message& m)
{
    json::object o;
    o["kind"] = to_string(m.kind);
    o["task"] = m.task.to_string();
    o["step"] = m.step;
    o["attempt"] = m.attempt;
    return o;
}

result<message> message_from_json(const json::value& v)
{
    const auto bad = [&](std::string_view why) {
        return error{errc::malformed_json, "not a tasker message (" + std::string(why) + ")"};
    };
    const auto* o = v.if_object();
    if (!o)
        return bad("not an object");
    message m;
    const auto* kind = o->if_contains("kind");
    if (!kind || !kind->is_string())
        return bad("missing kind");
    const auto k = message_kind_from_string(kind->get_string());
    if (!k)
        return bad("unknown kind");
    m.kind = *k;
    const auto* task = o->if_contains("task");
    if (!task || !task->is_string())
        return bad("missing task");
    auto id = uuid::parse(task->get_string());
    if (!id)
        return bad("task is not a UUID");
    m.task = *id;
    for (auto [name, field] : {std::pair{"step", &m.step}, std::pair{"attempt", &m.attempt}}) {
        const auto* n = o->if_contains(name);
        if (!n || !(n->is_int64() || n->is_uint64()))
            return bad(std::string("missing ") + name);
        const auto value = n->is_int64() ? n->get_int64() : static_cast<std::int64_t>(n->get_uint64());
        if (value < 0 || value > 0xffffffffLL)
            return bad(std::string(name) + " out of range");
        *field = static_cast<std::uint32_t>(value);
    }
    return m;
}

} // namespace tasker
