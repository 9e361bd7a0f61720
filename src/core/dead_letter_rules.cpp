#include <tasker/core/dead_letter_rules.hpp>

#include <charconv>

namespace tasker {

json::object snapshot_step(const std::string& name, const step_status& s, const step_failure* failure)
{
    json::value error = nullptr;
    if (failure)
        error = json::object{{"kind", to_string(failure->kind)},
                             {"message", failure->message},
                             {"attempt", failure->attempt}};
    return json::object{{"name", name}, {"state", to_string(s.state)}, {"attempts", s.attempts},
                        {"error", std::move(error)}};
}

namespace {

template <class T>
bool parse_number(std::string_view text, T& out)
{
    const auto* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc{} && p == end && !text.empty();
}

} // namespace

std::string cursor_after(const dead_letter& last, dead_letter_order order)
{
    if (order == dead_letter_order::investigation)
        return "i" + std::to_string(last.priority) + "." + std::to_string(last.id);
    return "n" + std::to_string(last.id);
}

result<dead_letter_position> parse_cursor(const std::string& cursor, dead_letter_order order)
{
    const auto bad = [&] {
        return error{errc::invalid_request, "'" + cursor.substr(0, 40) + "' is not a cursor of this " +
                                                (order == dead_letter_order::investigation ? "investigation queue"
                                                                                           : "dead-letter listing")};
    };
    dead_letter_position p;
    std::string_view text(cursor);
    if (order == dead_letter_order::newest) {
        if (!text.starts_with('n') || !parse_number(text.substr(1), p.id))
            return bad();
        return p;
    }
    const auto dot = text.find('.');
    if (!text.starts_with('i') || dot == std::string_view::npos ||
        !parse_number(text.substr(1, dot - 1), p.priority) || !parse_number(text.substr(dot + 1), p.id))
        return bad();
    return p;
}

result<void> check_dead_letter_filter(const dead_letter_filter& f)
{
    if (f.limit < 1 || f.limit > 1000)
        return error{errc::invalid_request, "limit must be between 1 and 1000, not " + std::to_string(f.limit)};
    if (f.order == dead_letter_order::investigation && f.status && !is_open(*f.status))
        return error{errc::invalid_request, "the investigation queue holds open entries only, not " +
                                                std::string(to_string(*f.status)) + " ones"};
    if (!f.cursor.empty())
        if (auto p = parse_cursor(f.cursor, f.order); !p)
            return p.error();
    return {};
}

bool matches(const dead_letter& e, const dead_letter_filter& f)
{
    if (f.status && e.status != *f.status)
        return false;
    if (f.cause && e.cause != *f.cause)
        return false;
    if (f.namespace_name && e.key.namespace_name != *f.namespace_name)
        return false;
    return f.order != dead_letter_order::investigation || is_open(e.status);
}

bool comes_after(const dead_letter& e, const dead_letter_position& p, dead_letter_order order)
{
    if (order == dead_letter_order::newest)
        return e.id < p.id;
    return e.priority < p.priority || (e.priority == p.priority && e.id > p.id);
}

bool listed_before(const dead_letter& a, const dead_letter& b, dead_letter_order order)
{
    if (order == dead_letter_order::newest)
        return a.id > b.id;
    return a.priority > b.priority || (a.priority == b.priority && a.id < b.id);
}

result<void> check_dead_letter_update(const dead_letter_update& u)
{
    if (u.actor.empty())
        return error{errc::invalid_request, "an update of a dead-letter entry must name its actor"};
    if (u.actor.size() > max_actor_length)
        return error{errc::invalid_request, "actor is longer than " + std::to_string(max_actor_length) + " bytes"};
    if (!u.status && u.note.empty())
        return error{errc::invalid_request, "the update changes nothing: give a status, a note or both"};
    if (u.note.size() > max_note_length)
        return error{errc::invalid_request, "note is " + std::to_string(u.note.size()) + " bytes, more than " +
                                                std::to_string(max_note_length)};
    return {};
}

void apply_dead_letter_update(dead_letter& e, const dead_letter_update& u, time_point now)
{
    if (u.status && *u.status != e.status) {
        e.status = *u.status;
        if (is_open(e.status)) {
            e.resolved_by.clear();
            e.resolved_at.reset();
        } else {
            e.resolved_by = u.actor;
            e.resolved_at = now;
        }
    }
    if (!u.note.empty())
        e.notes.push_back({now, u.actor, u.note});
    e.updated_at = now;
}

} // namespace tasker
