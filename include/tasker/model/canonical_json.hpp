#pragma once

#include <tasker/model/json.hpp>

#include <string>
#include <string_view>

namespace tasker {

/// The canonical text of `v`: one spelling for every JSON value, so that documents that mean
/// the same serialise to the same bytes in every process, on every machine and in every version
/// of tasker. It follows RFC 8785 (the JSON Canonicalization Scheme), except for integers:
///
/// * objects: members sorted by key, compared as UTF-16 code units (as RFC 8785 does), no
///   whitespace anywhere;
/// * strings: UTF-8 as they are, with only `"`, `\` and the control characters below U+0020
///   escaped (`\b \t \n \f \r`, the others as `\u00xx`); escapes in the source text (`\u00e9`)
///   were decoded by the parser, so `"é"` and `"\u00e9"` are the same string. Bytes that are not
///   UTF-8 (only a `json::value` built in C++ can hold them) are copied as they are and sort as
///   U+DC80..U+DCFF;
/// * numbers by value: an integer, and a double with an integral value between -2^63 and 2^64,
///   in plain decimal, exactly (`1`, `1.0`, `1e0` and `10E-1` are all `1`; `-0.0` is `0`;
///   9007199254740993 stays itself, where RFC 8785 would round it through a double to
///   9007199254740992); any other double as RFC 8785 writes it (ECMAScript's shortest
///   round-trip form: `0.1`, `1.5e-7`, `1e+21`). What a number is exactly is what the JSON
///   parser made of it: an integer up to 64 bits, else the nearest double. An infinity (the
///   parser's value for 1e400) is `1e999` (or `-1e999`), a NaN `null`;
/// * `true`, `false`, `null` as written.
std::string canonical_json(const json::value& v);

/// The SHA-256 digest of `bytes`, as 64 lowercase hexadecimal digits.
std::string sha256_hex(std::string_view bytes);

/// `sha256_hex(canonical_json(v))`: a digest of what `v` means, not of how it was written.
std::string canonical_digest(const json::value& v);

} // namespace tasker
