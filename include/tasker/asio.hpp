#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/any_io_executor.hpp>

namespace tasker {

namespace asio = boost::asio;

/// Every asynchronous store, broker and clock operation is a coroutine of this type.
template <class T>
using awaitable = asio::awaitable<T, asio::any_io_executor>;

} // namespace tasker
