#pragma once
// Decoding UTF-8 one code point at a time: for canonical JSON's key order and for the checks
// on what submitters write.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tasker::detail {

struct code_point {
    std::uint32_t value;
    std::size_t length; ///< bytes it took, 1 to 4
};

/// The code point that starts `s` (not empty), or nullopt if `s` does not start with a
/// well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
inline std::optional<code_point> decode_utf8(std::string_view s) noexcept
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const unsigned b = p[0];
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if (b < 0x80)
        return code_point{b, 1};
    if ((b & 0xe0) == 0xc0)
        len = 2, cp = b & 0x1f, min = 0x80;
    else if ((b & 0xf0) == 0xe0)
        len = 3, cp = b & 0x0f, min = 0x800;
    else if ((b & 0xf8) == 0xf0)
        len = 4, cp = b & 0x07, min = 0x10000;
    else
        return std::nullopt;
    if (s.size() < len)
        return std::nullopt;
    for (std::size_t i = 1; i < len; ++i) {
        if ((p[i] & 0xc0) != 0x80)
            return std::nullopt;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return std::nullopt;
    return code_point{cp, len};
}

} // namespace tasker::detail
