#include "reconnecting_link.hpp"

#include <algorithm>
#include <utility>

namespace tasker::rabbitmq {

reconnecting_link::reconnecting_link(result<amqp::endpoint> where, link_settings settings)
    : where_(std::move(where)), settings_(settings), backoff_(settings.reconnect_min)
{
}

result<void> reconnecting_link::may_open(steady_time now) const
{
    if (!where_)
        return where_.error();
    if (now < next_attempt_ && last_failure_)
        return *last_failure_;
    return {};
}

result<amqp::connection*> reconnecting_link::open(steady_time now)
{
    if (!where_)
        return where_.error();
    auto opened = amqp::connection::open(*where_, settings_.prefetch, settings_.heartbeat, settings_.timeout);
    if (!opened)
        return opened.error();
    connection_.emplace(std::move(*opened));
    last_heartbeat_ = now;
    return &*connection_;
}

void reconnecting_link::lost(const error& e, steady_time now)
{
    connection_.reset();
    last_failure_ = e;
    next_attempt_ = now + backoff_;
    backoff_ = std::min<duration>(backoff_ * 2, settings_.reconnect_max);
}

void reconnecting_link::established() noexcept
{
    backoff_ = settings_.reconnect_min;
    last_failure_.reset();
}

result<void> reconnecting_link::keep_alive(steady_time now)
{
    if (!connection_ || settings_.heartbeat <= duration::zero() || now - last_heartbeat_ < settings_.heartbeat / 2)
        return {};
    last_heartbeat_ = now;
    return connection_->heartbeat();
}

std::optional<reconnecting_link::steady_time> reconnecting_link::next_heartbeat() const noexcept
{
    if (!connection_ || settings_.heartbeat <= duration::zero())
        return std::nullopt;
    return last_heartbeat_ + settings_.heartbeat / 2;
}

} // namespace tasker::rabbitmq
