#include <tasker/model/semver.hpp>

#include <charconv>
#include <ostream>

namespace tasker {

namespace {

bool is_digits(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

bool is_identifier(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
            return false;
    return true;
}

// A numeric semver component: digits, no leading zero, fits 32 bits.
bool parse_number(std::string_view s, std::uint32_t& out)
{
    if (!is_digits(s) || (s.size() > 1 && s[0] == '0'))
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool valid_dotted(std::string_view s, bool numeric_no_leading_zero)
{
    std::size_t start = 0;
    while (true) {
        const auto dot = s.find('.', start);
        const auto part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!is_identifier(part))
            return false;
        if (numeric_no_leading_zero && is_digits(part) && part.size() > 1 && part[0] == '0')
            return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

std::strong_ordering compare_prerelease(std::string_view a, std::string_view b)
{
    // A release ranks above any of its prereleases.
    if (a.empty() || b.empty())
        return a.empty() <=> b.empty();
    while (true) {
        const auto da = a.find('.');
        const auto db = b.find('.');
        const auto pa = a.substr(0, da);
        const auto pb = b.substr(0, db);
        const bool na = is_digits(pa);
        const bool nb = is_digits(pb);
        std::strong_ordering c = std::strong_ordering::equal;
        if (na && nb)
            c = pa.size() != pb.size() ? pa.size() <=> pb.size() : pa.compare(pb) <=> 0;
        else if (na != nb)
            c = na ? std::strong_ordering::less : std::strong_ordering::greater;
        else
            c = pa.compare(pb) <=> 0;
        if (c != 0)
            return c;
        if (da == std::string_view::npos || db == std::string_view::npos)
            return (da == std::string_view::npos) == (db == std::string_view::npos)
                       ? std::strong_ordering::equal
                       : (da == std::string_view::npos ? std::strong_ordering::less : std::strong_ordering::greater);
        a.remove_prefix(da + 1);
        b.remove_prefix(db + 1);
    }
}

} // namespace

result<semver> semver::parse(std::string_view text)
{
    const auto bad = [&](std::string_view why) {
        return error{errc::invalid_template,
                     "bad version '" + std::string(text) + "': " + std::string(why) +
                         " (expected MAJOR.MINOR.PATCH, e.g. 1.0.0)"};
    };
    semver v;
    std::string_view core = text;
    if (const auto plus = core.find('+'); plus != std::string_view::npos) {
        v.build = std::string(core.substr(plus + 1));
        core = core.substr(0, plus);
        if (!valid_dotted(v.build, false))
            return bad("invalid build metadata");
    }
    if (const auto dash = core.find('-'); dash != std::string_view::npos) {
        v.prerelease = std::string(core.substr(dash + 1));
        core = core.substr(0, dash);
        if (!valid_dotted(v.prerelease, true))
            return bad("invalid prerelease");
    }
    const auto d1 = core.find('.');
    const auto d2 = d1 == std::string_view::npos ? d1 : core.find('.', d1 + 1);
    if (d1 == std::string_view::npos || d2 == std::string_view::npos || core.find('.', d2 + 1) != std::string_view::npos)
        return bad("needs exactly three numbers");
    if (!parse_number(core.substr(0, d1), v.major) || !parse_number(core.substr(d1 + 1, d2 - d1 - 1), v.minor) ||
        !parse_number(core.substr(d2 + 1), v.patch))
        return bad("each number must be digits without a leading zero");
    return v;
}

std::string semver::to_string() const
{
    std::string s = std::to_string(major) + '.' + std::to_string(minor) + '.' + std::to_string(patch);
    if (!prerelease.empty())
        s += '-' + prerelease;
    if (!build.empty())
        s += '+' + build;
    return s;
}

std::strong_ordering operator<=>(const semver& a, const semver& b)
{
    if (auto c = a.major <=> b.major; c != 0)
        return c;
    if (auto c = a.minor <=> b.minor; c != 0)
        return c;
    if (auto c = a.patch <=> b.patch; c != 0)
        return c;
    return compare_prerelease(a.prerelease, b.prerelease);
}

std::ostream& operator<<(std::ostream& os, const semver& v) { return os << v.to_string(); }

} // namespace tasker
