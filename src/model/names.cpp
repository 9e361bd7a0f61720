#include <tasker/model/names.hpp>

#include <string>

namespace tasker {

bool is_valid_identifier(std::string_view s, std::size_t max_length) noexcept
{
    if (s.empty() || s.size() > max_length || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

result<void> check_identifier(std::string_view s, std::size_t max_length, std::string_view what)
{
    if (is_valid_identifier(s, max_length))
        return {};
    std::string why;
    if (s.empty())
        why = "it is empty";
    else if (s.size() > max_length)
        why = "it is " + std::to_string(s.size()) + " characters long, the limit is " + std::to_string(max_length);
    else
        why = "it must start with a lower-case letter and contain only a-z, 0-9 and '_'";
    // Quote the name as JSON would, so hostile input cannot forge log lines.
    std::string shown;
    for (char c : s.substr(0, 80))
        shown += (c >= 0x20 && c < 0x7f) ? std::string(1, c) : std::string("?");
    return error{errc::invalid_name, std::string(what) + " name '" + shown + "' is invalid: " + why};
}

result<void> check_namespace_name(std::string_view s)
{
    auto ok = check_identifier(s, max_namespace_length, "namespace");
    if (!ok && s.size() > max_namespace_length && is_valid_identifier(s, s.size())) {
        auto e = ok.error();
        e.message += " (its workers' queue '" + std::string(worker_queue_prefix) + "<namespace>' must fit the " +
                     std::to_string(max_queue_name_length) + " characters pgmq allows a queue name)";
        return e;
    }
    return ok;
}

} // namespace tasker
