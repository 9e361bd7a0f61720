#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/any_io_executor.hpp>

namespace tasker {

namespace asio = boost::asio;

/// Every asynchronous store, broker and clock operation is a coroutine of this type.
template <class T>
using awaitable = asio::awaitable<T, asio::any_io_executor>;

// g++ 12 destroys a temporary built inside a `co_await` expression twice (lambdas, vectors
// from initializer lists). tasker's coroutines therefore build such values as named locals
// and then await them; comments at those places refer here.

} // namespace tasker
