#pragma once

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>

#include <memory>
#include <vector>

namespace tasker {

/// A compiled JSON Schema, draft 7 in full (valijson): every keyword of the draft, `$ref`
/// within the document (`#/definitions/...`, `#name` of an `$id`), boolean schemas, `format`
/// checked for `date`, `time` and `date-time`. It is what `input_schema` and a step's
/// `result_schema` compile to. Thread-safe: validations may run concurrently.
class json_schema {
public:
    /// Compiles `schema`. A keyword whose value has the wrong shape, a `$ref` to another
    /// document (never fetched) or to nothing, a `$schema` other than draft 7, a keyword of a
    /// later draft and a misspelt keyword (both of which draft 7 would silently ignore) are
    /// problems located by their path in the schema (`properties.customer.type`); all of them are
    /// reported together as `errc::invalid_template`.
    static result<json_schema> compile(const json::value& schema);

    /// Checks a task context. Every violation is reported, each located by a JSON path
    /// (`$.customer.email`), as `errc::invalid_context`.
    result<void> validate(const json::value& instance) const;

    /// Every way `instance` fails the schema, each located by its JSON path (`$.items[2].qty`,
    /// `$["odd key"]`, `$` for the value itself); empty when it conforms.
    std::vector<problem> violations(const json::value& instance) const;

    struct compiled; // valijson's form, private to the implementation

private:
    std::shared_ptr<const compiled> compiled_;
};

} // namespace tasker
