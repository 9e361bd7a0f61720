#pragma once
// Finding a problem of an error by its path, for tests of located errors.

#include <tasker/error.hpp>

#include <string_view>

namespace tasker::test {

/// The first problem of `e` at `path`, or nullptr. `e` must outlive the pointer (keep a copy
/// of `result::error()`, which returns by value).
inline const problem* find_problem(const error& e, std::string_view path)
{
    for (const auto& p : e.problems)
        if (p.path == path)
            return &p;
    return nullptr;
}

} // namespace tasker::test
