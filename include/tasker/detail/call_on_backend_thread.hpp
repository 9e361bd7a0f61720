#pragma once

#include <tasker/asio.hpp>
#include <tasker/error.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace tasker::detail {

/// How a job on a backend's thread answers the coroutine that started it: call it exactly
/// once, from any thread, now or later (a RabbitMQ publish answers on its confirm).
template <class T>
using backend_reply = std::function<void(result<T>)>;

/// Runs `job(reply)` on a thread the backend owns and resumes the awaiting coroutine, on its
/// own executor, with what `reply` is given. `post(f)` hands a `void()` callable to the
/// backend's thread (a libpqxx pool thread, the RabbitMQ loop); blocking client calls happen
/// there, never on the caller's executor.
///
/// The caller's executor counts as busy until the reply arrives, so its io_context keeps
/// running; that work guard ends on the caller's thread, never on the backend's, which could
/// otherwise touch an io_context the caller has already destroyed.
template <class T, class Post, class Job>
awaitable<result<T>> call_on_backend_thread(Post post, Job job)
{
    auto initiation = [post = std::move(post), job = std::move(job)](auto handler) mutable {
        using handler_type = decltype(handler);
        auto target = asio::get_associated_executor(handler);
        auto tracked = asio::prefer(target, asio::execution::outstanding_work.tracked);
        struct pending {
            handler_type handler;
            decltype(tracked) work;
        };
        auto state = std::make_shared<pending>(pending{std::move(handler), std::move(tracked)});
        backend_reply<T> reply = [state, target](result<T> r) {
            asio::post(target, [state, r = std::move(r)]() mutable {
                auto ending = std::move(state->work); // ends here, on the caller's thread
                std::move(state->handler)(std::move(r));
            });
        };
        post([job = std::move(job), reply = std::move(reply)]() mutable { job(reply); });
    };
    return asio::async_initiate<decltype(asio::use_awaitable), void(result<T>)>(std::move(initiation),
                                                                                asio::use_awaitable);
}

} // namespace tasker::detail
