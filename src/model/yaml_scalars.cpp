#include "yaml_scalars.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace tasker::detail {

bool is_quoted(const YAML::Node& n) { return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str"; }

bool is_null_scalar(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> bool_scalar(std::string_view s)
{
    if (s == "true" || s == "True" || s == "TRUE")
        return true;
    if (s == "false" || s == "False" || s == "FALSE")
        return false;
    return std::nullopt;
}

std::optional<std::int64_t> int_scalar(std::string_view s)
{
    std::int64_t v = 0;
    const auto* first = s.data() + (s.starts_with('+') ? 1 : 0);
    const auto [end, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || first == s.data() + s.size())
        return std::nullopt;
    return v;
}

std::optional<double> float_scalar(std::string_view s)
{
    if (s.empty() || s.find_first_not_of("+-0123456789.eE") != std::string_view::npos ||
        s.find_first_of("0123456789") == std::string_view::npos)
        return std::nullopt;
    const std::string text(s);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::string describe(const YAML::Node& n)
{
    if (n.IsScalar())
        return "'" + n.Scalar() + "'";
    if (n.IsSequence())
        return "a list";
    if (n.IsMap())
        return "a mapping";
    return "nothing";
}

} // namespace tasker::detail
