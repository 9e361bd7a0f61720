#include <tasker/store/new_task.hpp>

#include "../model/utf8.hpp"
#include "request_text.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace tasker {

namespace detail {

std::optional<problem> check_request_text(std::string_view field, std::string_view text, std::size_t max_bytes)
{
    auto wrong = [&](std::string message) { return problem{std::string(field), 0, 0, std::move(message)}; };
    if (text.size() > max_bytes)
        return wrong("is " + std::to_string(text.size()) + " bytes long; the limit is " + std::to_string(max_bytes));
    for (std::size_t at = 0; at < text.size();) {
        const auto c = decode_utf8(text.substr(at));
        if (!c)
            return wrong("is not UTF-8 (byte " + std::to_string(at) + ")");
        if (c->value < 0x20 || c->value == 0x7f || (c->value >= 0x80 && c->value < 0xa0))
            return wrong("holds a control character (byte " + std::to_string(at) + ")");
        at += c->length;
    }
    return std::nullopt;
}

std::optional<problem> check_tag(std::string_view field, std::string_view tag)
{
    auto wrong = [&](std::string message) { return problem{std::string(field), 0, 0, std::move(message)}; };
    if (tag.empty())
        return wrong("is empty");
    if (tag.size() > request_limits::tag_bytes)
        return wrong("is " + std::to_string(tag.size()) + " bytes long; the limit is " +
                     std::to_string(request_limits::tag_bytes));
    const auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_-.:/=@").find(c) != std::string_view::npos;
    };
    if (const auto bad = std::find_if_not(tag.begin(), tag.end(), allowed); bad != tag.end())
        return wrong("'" + std::string(tag) + "' holds a character a tag may not (at byte " +
                     std::to_string(bad - tag.begin()) + "): a tag is letters, digits and _ - . : / = @");
    return std::nullopt;
}

error invalid_request(std::string_view what, std::vector<problem> problems)
{
    const auto n = problems.size();
    return error{errc::invalid_request,
                 std::string(what) + " has " + std::to_string(n) + (n == 1 ? " problem" : " problems"),
                 std::move(problems)};
}

} // namespace detail

result<void> check_request_fields(const new_task& t)
{
    std::vector<problem> problems;
    auto add = [&](std::optional<problem> p) {
        if (p)
            problems.push_back(std::move(*p));
    };
    add(detail::check_request_text("identity_key", t.identity_key, request_limits::identity_key_bytes));
    add(detail::check_request_text("correlation_id", t.correlation_id, request_limits::label_bytes));
    add(detail::check_request_text("parent_correlation_id", t.parent_correlation_id, request_limits::label_bytes));
    add(detail::check_request_text("initiator", t.initiator, request_limits::label_bytes));
    add(detail::check_request_text("source_system", t.source_system, request_limits::label_bytes));
    add(detail::check_request_text("reason", t.reason, request_limits::reason_bytes));
    if (t.tags.size() > request_limits::tags)
        problems.push_back({"tags", 0, 0,
                            "has " + std::to_string(t.tags.size()) + " tags; the limit is " +
                                std::to_string(request_limits::tags)});
    for (std::size_t i = 0; i < t.tags.size(); ++i) {
        const auto field = "tags[" + std::to_string(i) + "]";
        add(detail::check_tag(field, t.tags[i]));
        if (std::find(t.tags.begin(), t.tags.begin() + static_cast<std::ptrdiff_t>(i), t.tags[i]) !=
            t.tags.begin() + static_cast<std::ptrdiff_t>(i))
            problems.push_back({field, 0, 0, "'" + t.tags[i] + "' is given twice"});
    }
    if (t.priority < request_limits::min_priority || t.priority > request_limits::max_priority)
        problems.push_back({"priority", 0, 0,
                            "must be between " + std::to_string(request_limits::min_priority) + " and " +
                                std::to_string(request_limits::max_priority) + ", got " +
                                std::to_string(t.priority)});
    if (problems.empty())
        return {};
    return detail::invalid_request("the task request", std::move(problems));
}

} // namespace tasker
