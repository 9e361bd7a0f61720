#include <tasker/store/step_ref.hpp>
#include <tasker/store/task_view.hpp>

#include <ostream>

namespace tasker {

std::ostream& operator<<(std::ostream& os, const step_ref& r) { return os << r.task << '#' << r.step; }

const step_view* task_view::step(std::string_view name) const noexcept
{
    for (const auto& s : steps)
        if (s.name == name)
            return &s;
    return nullptr;
}

} // namespace tasker
