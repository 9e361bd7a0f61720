#pragma once

#include <tasker/model/semver.hpp>

#include <compare>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

namespace tasker {

/// Identifies a registered template: templates are immutable per (namespace, name, version).
struct template_key {
    std::string namespace_name;
    std::string name;
    semver version;

    std::string to_string() const; ///< "namespace/name@1.0.0"
    friend auto operator<=>(const template_key&, const template_key&) = default;
    friend bool operator==(const template_key&, const template_key&) = default;
};

std::ostream& operator<<(std::ostream& os, const template_key& k);

/// What a submitter names: a template, in a given version or (when empty) the newest.
struct template_ref {
    std::string namespace_name;
    std::string name;
    std::optional<semver> version;

    std::string to_string() const;
};

} // namespace tasker
