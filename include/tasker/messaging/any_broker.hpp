#pragma once

#include <tasker/messaging/message_broker.hpp>

#include <memory>
#include <utility>
#include <vector>

namespace tasker {

/// A `message_broker` chosen at run time: holds any broker behind one type, so a program can
/// pick PGMQ or RabbitMQ from its configuration and still compose one
/// `orchestrator<Store, any_broker>`. Costs one virtual call per operation (the wrapped
/// broker's coroutine is returned as it is, no extra frame).
///
/// @par Example
/// @code
/// auto messages = config.broker == "rabbitmq"
///     ? tasker::any_broker(std::make_unique<tasker::rabbitmq::broker>(rabbitmq_config))
///     : tasker::any_broker(std::make_unique<tasker::pgmq::broker>(pgmq_config));
/// @endcode
class any_broker {
public:
    /// Owns `b`.
    template <message_broker B>
    explicit any_broker(std::unique_ptr<B> b) : self_(std::make_unique<model<B>>(std::move(b)))
    {
    }

    any_broker(any_broker&&) noexcept = default;
    any_broker& operator=(any_broker&&) noexcept = default;

    /// The wrapped broker if it is a `B`, else null.
    template <class B>
    B* get() noexcept
    {
        auto* m = dynamic_cast<model<B>*>(self_.get());
        return m ? m->broker.get() : nullptr;
    }

    // message_broker (see its requirements)
    awaitable<result<void>> ensure_queue(queue_name q) { return self_->ensure_queue(q); }
    awaitable<result<void>> send(queue_name q, message m, duration delay) { return self_->send(q, std::move(m), delay); }
    awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay)
    {
        return self_->send_batch(q, std::move(ms), delay);
    }
    awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease)
    {
        return self_->read(q, max, lease);
    }
    awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids) { return self_->ack(q, std::move(ids)); }
    awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay) { return self_->nack(q, id, delay); }
    awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease)
    {
        return self_->extend_lease(q, id, lease);
    }
    awaitable<result<void>> wait(queue_name q, time_point deadline) { return self_->wait(q, deadline); }

private:
    struct interface {
        virtual ~interface() = default;
        virtual awaitable<result<void>> ensure_queue(queue_name q) = 0;
        virtual awaitable<result<void>> send(queue_name q, message m, duration delay) = 0;
        virtual awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay) = 0;
        virtual awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease) = 0;
        virtual awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids) = 0;
        virtual awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay) = 0;
        virtual awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease) = 0;
        virtual awaitable<result<void>> wait(queue_name q, time_point deadline) = 0;
    };

    template <class B>
    struct model final : interface {
        explicit model(std::unique_ptr<B> b) : broker(std::move(b)) {}
        awaitable<result<void>> ensure_queue(queue_name q) override { return broker->ensure_queue(q); }
        awaitable<result<void>> send(queue_name q, message m, duration delay) override
        {
            return broker->send(q, std::move(m), delay);
        }
        awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay) override
        {
            return broker->send_batch(q, std::move(ms), delay);
        }
        awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease) override
        {
            return broker->read(q, max, lease);
        }
        awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids) override
        {
            return broker->ack(q, std::move(ids));
        }
        awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay) override
        {
            return broker->nack(q, id, delay);
        }
        awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease) override
        {
            return broker->extend_lease(q, id, lease);
        }
        awaitable<result<void>> wait(queue_name q, time_point deadline) override { return broker->wait(q, deadline); }

        std::unique_ptr<B> broker;
    };

    std::unique_ptr<interface> self_;
};

static_assert(message_broker<any_broker>);

} // namespace tasker
