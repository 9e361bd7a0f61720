#include <tasker/engine/handler_execution.hpp>

#include <ostream>

namespace tasker {

std::string_view to_string(handler_execution e) noexcept
{
    switch (e) {
    case handler_execution::thread_pool: return "thread_pool";
    case handler_execution::inline_on_worker: return "inline_on_worker";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, handler_execution e) { return os << to_string(e); }

} // namespace tasker
