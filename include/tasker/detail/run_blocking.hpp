#pragma once

#include <tasker/asio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <future>

namespace tasker::detail {

/// Runs `a` to completion on the calling thread (on a thread-local io_context) and returns
/// its value. For synchronous front ends (the embedded runtime, tests, tools); never call it
/// from inside a coroutine.
template <class T>
T run_blocking(awaitable<T> a)
{
    thread_local asio::io_context io;
    auto f = asio::co_spawn(io, std::move(a), asio::use_future);
    io.restart();
    io.run();
    return f.get();
}

} // namespace tasker::detail
