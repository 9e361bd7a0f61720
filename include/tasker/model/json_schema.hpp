#pragma once

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>

#include <memory>
#include <vector>

namespace tasker {

/// A compiled JSON Schema of the subset tasker templates use for `input_schema`:
/// `type` (a name or a list of names), `required`, `properties`, `items`, `enum`,
/// `minimum`/`maximum`, `minLength`/`maxLength`, `additionalProperties` (boolean or schema),
/// plus the annotations `description`, `title`, `default`, `format`, `examples`, `$schema`,
/// `$id`, which are accepted and ignored.
class json_schema {
public:
    /// Compiles `schema`. Any other keyword, or a keyword with a value of the wrong shape,
    /// is a problem located by its path in the schema (`properties.customer.type`); all of
    /// them are reported together as `errc::invalid_template`.
    static result<json_schema> compile(const json::value& schema);

    /// Checks `instance`. Every violation is reported, each located by a JSON path
    /// (`$.customer.email`), as `errc::invalid_context`.
    result<void> validate(const json::value& instance) const;

    struct node; // compiled form, private to the implementation

private:
    std::shared_ptr<const node> root_;
};

} // namespace tasker
