#pragma once

#include <tasker/error.hpp>

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace tasker {

/// A semantic version (semver.org 2.0): MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
/// Ordering follows semver precedence; build metadata does not take part in it.
struct semver {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    std::uint32_t patch = 0;
    std::string prerelease; ///< dot-separated identifiers, empty for a release
    std::string build;      ///< ignored by comparisons

    static result<semver> parse(std::string_view text);
    std::string to_string() const;

    friend std::strong_ordering operator<=>(const semver& a, const semver& b);
    friend bool operator==(const semver& a, const semver& b) { return (a <=> b) == 0; }
};

std::ostream& operator<<(std::ostream& os, const semver& v);

} // namespace tasker
