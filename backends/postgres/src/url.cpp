#include <tasker/postgres/url.hpp>

#include <algorithm>
#include <string_view>

namespace tasker::postgres {

namespace {

/// RFC 3986 unreserved characters pass; every other byte becomes %XX.
std::string percent_encode(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

/// A `key=value` value as libpq reads it: bare when it can be, else single-quoted with `\`
/// escaping `'` and `\`.
std::string keyword_value(std::string_view value)
{
    if (!value.empty() && value.find_first_of(" \t\n\r\f\v'\\") == std::string_view::npos)
        return std::string(value);
    std::string out = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "'";
}

/// The query string (after `?`) without its `dbname=` parameters; empty when none is left.
std::string without_dbname(std::string_view query)
{
    std::string out;
    while (!query.empty()) {
        const auto end = query.find('&');
        const auto parameter = query.substr(0, end);
        if (!parameter.empty() && !parameter.starts_with("dbname=")) {
            if (!out.empty())
                out += '&';
            out += parameter;
        }
        query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    }
    return out;
}

} // namespace

std::string with_database(const std::string& connection_url, const std::string& dbname)
{
    const std::string_view url = connection_url;
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        const auto setting = "dbname=" + keyword_value(dbname);
        return url.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos ? setting
                                                                               : connection_url + " " + setting;
    }
    // scheme://[userinfo@]hosts[/dbname][?query]: the authority ends at the first '/' or '?'.
    const auto authority_end = std::min(url.find_first_of("/?", scheme + 3), url.size());
    const auto query_begin = url.find('?', authority_end);
    std::string out(url.substr(0, authority_end));
    out += '/';
    out += percent_encode(dbname);
    if (query_begin != std::string_view::npos)
        if (const auto query = without_dbname(url.substr(query_begin + 1)); !query.empty())
            out += '?' + query;
    return out;
}

} // namespace tasker::postgres
