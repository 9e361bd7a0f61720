#pragma once

#include <tasker/error.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tasker {

namespace json = boost::json;

/// An immutable, shared JSON document. Task contexts and step results are written once
/// and read by many steps: sharing them avoids a copy per read (a null pointer is JSON null).
using json_ptr = std::shared_ptr<const json::value>;

inline json_ptr make_json(json::value v) { return std::make_shared<const json::value>(std::move(v)); }

/// The value behind `p`, or a static JSON null.
const json::value& deref(const json_ptr& p) noexcept;

/// Parses JSON text; a syntax error is `errc::malformed_json` with its byte offset.
result<json::value> parse_json(std::string_view text);

/// Serialises compactly.
std::string to_json_string(const json::value& v);

/// Size of `v` serialised, without building the string (for payload caps).
std::size_t serialized_size(const json::value& v);

} // namespace tasker
