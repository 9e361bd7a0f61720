#pragma once

#include <tasker/error.hpp>
#include <tasker/model/names.hpp>

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace tasker {

/// A validated queue name: `[a-z_][a-z0-9_]*`, at most 47 characters (`max_queue_name_length`,
/// pgmq's limit). Names are interned, so copying one is copying a pointer and comparing two
/// is comparing pointers; a name is checked once, when it is made, never at use.
class queue_name {
public:
    static constexpr std::size_t max_length = max_queue_name_length;

    /// `errc::invalid_name` for anything that could break a table name or an SQL literal.
    static result<queue_name> make(std::string_view name);

    const std::string& str() const noexcept { return *name_; }
    std::string_view view() const noexcept { return *name_; }

    friend bool operator==(queue_name a, queue_name b) noexcept { return a.name_ == b.name_; }

private:
    explicit queue_name(const std::string* name) noexcept : name_(name) {}
    const std::string* name_;
};

std::ostream& operator<<(std::ostream& os, queue_name q);

/// The queue a namespace's workers read: `worker_<namespace>`.
result<queue_name> worker_queue(std::string_view namespace_name);

/// The queue orchestrators read step results and retry timers from.
queue_name orchestration_queue();

} // namespace tasker

template <>
struct std::hash<tasker::queue_name> {
    std::size_t operator()(tasker::queue_name q) const noexcept { return std::hash<const void*>{}(&q.str()); }
};
