#pragma once
// Runs a store or broker operation to completion in a test and returns its value; an error
// fails the test (with the error printed).

#include <tasker/detail/run_blocking.hpp>

#include "support/catch.hpp"

#include <type_traits>
#include <utility>

namespace tasker::test {

template <class T>
T await_value(awaitable<result<T>> op)
{
    auto r = detail::run_blocking(std::move(op));
    REQUIRE(r);
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

} // namespace tasker::test
