#include "event_loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace tasker::rabbitmq {

event_loop::event_loop(std::function<wake_up()> turn, std::function<void()> last)
    : turn_(std::move(turn)), last_(std::move(last)), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
    if (wake_fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "rabbitmq broker: eventfd");
    thread_ = std::thread([this] { run(); });
}

event_loop::~event_loop()
{
    stopping_ = true;
    wake();
    thread_.join();
    ::close(wake_fd_);
}

void event_loop::submit(std::function<void()> command)
{
    {
        std::lock_guard lock(mutex_);
        commands_.push_back(std::move(command));
    }
    wake();
}

void event_loop::wake() const noexcept
{
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void event_loop::run()
{
    while (true) {
        run_commands();
        if (stopping_)
            break;
        sleep(turn_());
    }
    run_commands(); // each answers shutting_down
    last_();
}

void event_loop::run_commands()
{
    std::deque<std::function<void()>> todo;
    {
        std::lock_guard lock(mutex_);
        todo.swap(commands_);
    }
    for (auto& c : todo)
        c();
}

void event_loop::sleep(const wake_up& until)
{
    constexpr std::int64_t longest_ms = 60'000;
    int timeout_ms = -1; // until woken or the socket has something
    if (until.at) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*until.at - std::chrono::steady_clock::now());
        timeout_ms = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, longest_ms));
    }
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {until.socket, POLLIN, 0}};
    ::poll(fds, until.socket >= 0 ? 2 : 1, timeout_ms);
    std::uint64_t drained = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
}

} // namespace tasker::rabbitmq
