#include <tasker/model/canonical_json.hpp>

#include "utf8.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tasker {

namespace {

// A key as the UTF-16 code units RFC 8785 sorts by. A byte that does not start a well-formed
// UTF-8 sequence counts as the lone surrogate U+DC00 + byte (as Python's surrogateescape): the
// order stays total and two different keys never compare equal.
std::u16string utf16_units(std::string_view s)
{
    std::u16string out;
    out.reserve(s.size());
    while (!s.empty()) {
        const auto c = detail::decode_utf8(s);
        if (!c) {
            out.push_back(static_cast<char16_t>(0xdc00 + static_cast<unsigned char>(s.front())));
            s.remove_prefix(1);
            continue;
        }
        if (c->value < 0x10000) {
            out.push_back(static_cast<char16_t>(c->value));
        } else {
            const auto v = c->value - 0x10000;
            out.push_back(static_cast<char16_t>(0xd800 + (v >> 10)));
            out.push_back(static_cast<char16_t>(0xdc00 + (v & 0x3ff)));
        }
        s.remove_prefix(c->length);
    }
    return out;
}

void write_string(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out.push_back(hex[u >> 4]);
                out.push_back(hex[u & 0xf]);
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
}

template <class Int>
void write_integer(std::string& out, Int i)
{
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), i);
    out.append(buf.data(), r.ptr);
}

// ECMAScript's Number::toString (ECMA-262 6.1.6.1.20), which RFC 8785 prescribes for numbers:
// the shortest digits that read back as `d`, in fixed notation from 1e-6 up to below 1e21 and
// in exponent notation outside.
void write_ecmascript(std::string& out, double d)
{
    std::array<char, 40> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::scientific);
    std::string_view text(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
    if (text.front() == '-') {
        out.push_back('-');
        text.remove_prefix(1);
    }
    const auto e = text.find('e');
    std::string digits;
    for (const char c : text.substr(0, e))
        if (c != '.')
            digits.push_back(c);
    int exponent = 0;
    const auto exp_text = text.substr(e + 1);
    std::from_chars(exp_text.data() + (exp_text.front() == '+' ? 1 : 0), exp_text.data() + exp_text.size(), exponent);
    const int k = static_cast<int>(digits.size());
    const int n = exponent + 1; // the value is 0.digits * 10^n
    if (k <= n && n <= 21) {
        out += digits;
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, 0, static_cast<std::size_t>(n));
        out.push_back('.');
        out.append(digits, static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        out.push_back(digits[0]);
        if (k > 1) {
            out.push_back('.');
            out.append(digits, 1);
        }
        out.push_back('e');
        out.push_back(n - 1 < 0 ? '-' : '+');
        write_integer(out, std::abs(n - 1));
    }
}

void write_double(std::string& out, double d)
{
    if (std::isnan(d)) {
        out += "null";
        return;
    }
    if (std::isinf(d)) {
        out += d < 0 ? "-1e999" : "1e999";
        return;
    }
    // Integral values that a 64-bit integer holds are written as that integer, so that `1.0`
    // and `1` are one number. The bounds are exact doubles: -2^63 and 2^64.
    if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 18446744073709551616.0) {
        if (d < 0)
            write_integer(out, static_cast<std::int64_t>(d));
        else
            write_integer(out, static_cast<std::uint64_t>(d));
        return;
    }
    write_ecmascript(out, d);
}

void write(std::string& out, const json::value& v)
{
    switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: write_integer(out, v.get_int64()); break;
    case json::kind::uint64: write_integer(out, v.get_uint64()); break;
    case json::kind::double_: write_double(out, v.get_double()); break;
    case json::kind::string: write_string(out, v.get_string()); break;
    case json::kind::array: {
        out.push_back('[');
        bool first = true;
        for (const auto& item : v.get_array()) {
            if (!first)
                out.push_back(',');
            first = false;
            write(out, item);
        }
        out.push_back(']');
        break;
    }
    case json::kind::object: {
        const auto& o = v.get_object();
        std::vector<std::pair<std::u16string, const json::key_value_pair*>> members;
        members.reserve(o.size());
        for (const auto& kv : o)
            members.emplace_back(utf16_units(kv.key()), &kv);
        std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        out.push_back('{');
        bool first = true;
        for (const auto& [units, kv] : members) {
            if (!first)
                out.push_back(',');
            first = false;
            write_string(out, kv->key());
            out.push_back(':');
            write(out, kv->value());
        }
        out.push_back('}');
        break;
    }
    }
}

} // namespace

std::string canonical_json(const json::value& v)
{
    std::string out;
    write(out, v);
    return out;
}

std::string sha256_hex(std::string_view bytes)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int size = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL cannot compute SHA-256"); // only if libcrypto is broken
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (unsigned int i = 0; i < size; ++i) {
        out.push_back(hex[md[i] >> 4]);
        out.push_back(hex[md[i] & 0xf]);
    }
    return out;
}

std::string canonical_digest(const json::value& v) { return sha256_hex(canonical_json(v)); }

} // namespace tasker
