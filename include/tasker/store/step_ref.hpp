#pragma once

#include <tasker/model/uuid.hpp>

#include <compare>
#include <cstdint>
#include <iosfwd>

namespace tasker {

/// A step of a task: the task's id and the step's index in the task's template.
struct step_ref {
    task_id task;
    std::uint32_t step = 0;

    friend auto operator<=>(const step_ref&, const step_ref&) = default;
};

std::ostream& operator<<(std::ostream& os, const step_ref& r);

} // namespace tasker
