#include <tasker/core/task_listing.hpp>

#include <tasker/model/canonical_json.hpp>
#include <tasker/store/new_task.hpp>

#include "../store/request_text.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

namespace tasker {

namespace {

// Cursors are "c1", the page's last task id and the listing's fingerprint, in hex.
constexpr std::string_view cursor_version = "c1";
constexpr std::size_t fingerprint_digits = 16;
constexpr std::size_t cursor_size = cursor_version.size() + 32 + fingerprint_digits;

// The filter's fields that choose tasks (not limit, not cursor), as a canonical document: the
// same filter has the same fingerprint in every process.
std::string fingerprint(const task_filter& f)
{
    json::object o;
    auto text = [&](std::string_view key, const std::optional<std::string>& v) {
        if (v)
            o[key] = *v;
    };
    text("namespace_name", f.namespace_name);
    if (f.state)
        o["state"] = to_string(*f.state);
    text("template_name", f.template_name);
    text("initiator", f.initiator);
    text("source_system", f.source_system);
    text("tag", f.tag);
    text("correlation_id", f.correlation_id);
    text("parent_correlation_id", f.parent_correlation_id);
    if (f.created_after)
        o["created_after_ns"] = f.created_after->time_since_epoch().count();
    if (f.created_before)
        o["created_before_ns"] = f.created_before->time_since_epoch().count();
    return sha256_hex(canonical_json(o)).substr(0, fingerprint_digits);
}

std::string id_hex(const task_id& id)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (const auto b : id.bytes()) {
        out.push_back(hex[b >> 4]);
        out.push_back(hex[b & 0xf]);
    }
    return out;
}

std::optional<task_id> id_from_hex(std::string_view text)
{
    std::array<std::uint8_t, 16> bytes{};
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return task_id(bytes);
}

} // namespace

result<listing_query> check_filter(const task_filter& filter)
{
    std::vector<problem> problems;
    auto text = [&](std::string_view field, const std::optional<std::string>& v, std::size_t max) {
        if (!v)
            return;
        if (v->empty())
            problems.push_back({std::string(field), 0, 0, "is empty: leave it unset to list tasks whatever their " +
                                                               std::string(field)});
        else if (auto p = detail::check_request_text(field, *v, max))
            problems.push_back(std::move(*p));
    };
    text("namespace_name", filter.namespace_name, request_limits::label_bytes);
    text("template_name", filter.template_name, request_limits::label_bytes);
    text("initiator", filter.initiator, request_limits::label_bytes);
    text("source_system", filter.source_system, request_limits::label_bytes);
    text("correlation_id", filter.correlation_id, request_limits::label_bytes);
    text("parent_correlation_id", filter.parent_correlation_id, request_limits::label_bytes);
    if (filter.tag)
        if (auto p = detail::check_tag("tag", *filter.tag))
            problems.push_back(std::move(*p));
    if (filter.limit < 1 || filter.limit > task_filter::max_limit)
        problems.push_back({"limit", 0, 0,
                            "must be between 1 and " + std::to_string(task_filter::max_limit) + ", got " +
                                std::to_string(filter.limit)});

    listing_query q;
    q.fetch = filter.limit + 1;
    q.fingerprint = fingerprint(filter);
    if (!filter.cursor.empty()) {
        const std::string_view c = filter.cursor;
        std::optional<task_id> below;
        if (c.size() == cursor_size && c.substr(0, cursor_version.size()) == cursor_version)
            below = id_from_hex(c.substr(cursor_version.size(), 32));
        if (!below)
            problems.push_back({"cursor", 0, 0,
                                "is not a cursor a task listing returned (pass a page's next_cursor as it is, or "
                                "nothing for the first page)"});
        else if (c.substr(cursor_version.size() + 32) != q.fingerprint)
            problems.push_back({"cursor", 0, 0,
                                "belongs to a listing with another filter: list the first page again (no cursor) "
                                "after changing the filter"});
        else
            q.below = *below;
    }
    if (!problems.empty())
        return detail::invalid_request("the task listing's filter", std::move(problems));
    return q;
}

task_page make_page(std::vector<task_summary> rows, const task_filter& filter, const listing_query& q)
{
    task_page page;
    if (rows.size() > filter.limit) {
        rows.resize(filter.limit);
        page.next_cursor = std::string(cursor_version) + id_hex(rows.back().id) + q.fingerprint;
    }
    page.tasks = std::move(rows);
    return page;
}

} // namespace tasker
