#pragma once
// What a JSON Schema must look like before valijson compiles it: the shape of every draft-7
// keyword's value (what the draft-07 meta-schema requires), references that stay within the
// document and resolve, and the keywords draft 7 would silently ignore although their author
// meant them to check something (later drafts' keywords, misspelt keywords).

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>

#include <string_view>
#include <vector>

namespace tasker::detail {

/// Every problem of `schema`, each located by its path in the schema (`properties.id.type`,
/// `allOf[1].minimum`; empty for the schema itself). Empty when valijson may compile it.
std::vector<problem> check_schema_shape(const json::value& schema);

/// The value a JSON pointer (RFC 6901, written as a URI fragment without its '#', so
/// percent-encoded) names inside `document`, or nullptr.
const json::value* resolve_pointer(const json::value& document, std::string_view pointer);

} // namespace tasker::detail
