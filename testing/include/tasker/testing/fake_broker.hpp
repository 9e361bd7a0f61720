#pragma once

#include <tasker/asio.hpp>
#include <tasker/clock.hpp>
#include <tasker/error.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/messaging/message_sink.hpp>
#include <tasker/model/uuid.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

namespace tasker::testing {

/// What can go wrong between a sender and a receiver.
enum class fault : std::uint8_t {
    drop,                ///< a sent message is lost
    duplicate,           ///< a sent message arrives twice
    delay,               ///< a sent message arrives later than asked
    reorder,             ///< a read returns its messages shuffled
    send_failure,        ///< a send fails with a transient error; nothing is sent
    crash_after_receive, ///< the reader takes a message and dies: it returns when its lease ends
};

std::string_view to_string(fault f) noexcept;
std::ostream& operator<<(std::ostream& os, fault f);

/// A scripted fault: hits the next `times` messages that match the filters.
struct fault_rule {
    fault kind;
    std::optional<message_kind> on_kind;         ///< only messages of this kind
    std::optional<std::uint32_t> on_step;        ///< only messages naming this step index
    std::size_t times = 1;
    duration extra_delay = std::chrono::seconds(1); ///< for `fault::delay`
};

/// Random faults: each message (or read) suffers each fault with its probability.
struct fault_rates {
    double drop = 0;
    double duplicate = 0;
    double delay = 0;
    double reorder = 0;
    double send_failure = 0;
    double crash_after_receive = 0;
    duration max_delay = std::chrono::seconds(5);
};

/// One entry of the fake's record of traffic.
struct traffic {
    enum class event : std::uint8_t { sent, delivered, acked, nacked };
    friend std::string_view to_string(event e) noexcept
    {
        switch (e) {
        case event::sent: return "sent";
        case event::delivered: return "delivered";
        case event::acked: return "acked";
        case event::nacked: return "nacked";
        }
        return "unknown";
    }
    friend std::ostream& operator<<(std::ostream& os, event e) { return os << to_string(e); }
    event what;
    queue_name queue;
    message msg;
    time_point at;
    std::optional<fault> hit; ///< the fault applied to it, if any
};

/// A broker for tests: forwards to a real broker (its own `inmemory::broker` by default,
/// or any `message_broker` it wraps) while injecting faults — scripted, or random from a
/// seed so a failing run replays — and recording every message for assertions.
///
/// It is also a `message_sink`, so an `inmemory::store` can commit through it: then the
/// send-side faults (drop, duplicate, delay) hit the store's atomic messages too.
template <message_broker Inner = inmemory::broker>
class fake_broker final : public message_sink {
public:
    /// Standalone: owns an in-memory broker on `clock`.
    explicit fake_broker(any_clock clock = {}, std::uint64_t seed = 1)
        requires std::same_as<Inner, inmemory::broker>
        : owned_(std::make_unique<Inner>(clock)), inner_(*owned_), clock_(std::move(clock)), rng_(seed)
    {
    }

    /// Wraps `inner`, which must outlive the fake.
    fake_broker(Inner& inner, any_clock clock, std::uint64_t seed = 1)
        : inner_(inner), clock_(std::move(clock)), rng_(seed)
    {
    }

    /// Adds a scripted fault.
    fake_broker& script(fault_rule rule)
    {
        std::lock_guard lock(mutex_);
        rules_.push_back(rule);
        return *this;
    }

    /// Sets random fault rates (all zero by default).
    fake_broker& randomly(fault_rates rates)
    {
        std::lock_guard lock(mutex_);
        rates_ = rates;
        return *this;
    }

    /// Stops injecting faults (scripted and random); recording goes on.
    void heal()
    {
        std::lock_guard lock(mutex_);
        rules_.clear();
        rates_ = {};
    }

    Inner& inner() noexcept { return inner_; }

    /// Every message seen so far, in order.
    std::vector<traffic> log() const
    {
        std::lock_guard lock(mutex_);
        return {log_.begin(), log_.end()};
    }

    /// How many messages of `kind` went through as `what`.
    std::size_t count(traffic::event what, std::optional<message_kind> kind = std::nullopt) const
    {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(log_.begin(), log_.end(), [&](const traffic& t) {
            return t.what == what && (!kind || t.msg.kind == *kind);
        }));
    }

    /// How many times `f` was injected.
    std::size_t injected(fault f) const
    {
        std::lock_guard lock(mutex_);
        return injected_[static_cast<std::size_t>(f)];
    }

    // ----- message_sink: the store's atomic path --------------------------------------
    void deliver(std::span<const envelope> batch) override
    {
        std::vector<envelope> out;
        {
            std::lock_guard lock(mutex_);
            for (const auto& e : batch)
                apply_send_faults(e.queue, e.msg, e.delay, /*may_fail=*/false, out);
        }
        if constexpr (std::derived_from<Inner, message_sink>) {
            if (!out.empty())
                static_cast<message_sink&>(inner_).deliver(out);
        } else {
            for (const auto& e : out)
                (void)e; // a non-sink inner broker cannot take atomic sends
        }
    }

    // ----- message_broker ---------------------------------------------------------------
    awaitable<result<void>> ensure_queue(queue_name q) { return inner_.ensure_queue(q); }

    awaitable<result<void>> send(queue_name q, message m, duration delay)
    {
        std::vector<message> one{m};
        co_return co_await send_batch(q, std::move(one), delay);
    }

    awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay)
    {
        std::vector<envelope> out;
        {
            std::lock_guard lock(mutex_);
            for (const auto& m : ms)
                if (!apply_send_faults(q, m, delay, /*may_fail=*/true, out))
                    co_return error{errc::backend_unavailable, "fake_broker: injected send failure"};
        }
        for (const auto& e : out) {
            std::vector<message> one{e.msg};
            if (auto r = co_await inner_.send_batch(e.queue, std::move(one), e.delay); !r)
                co_return r;
        }
        co_return result<void>{};
    }

    awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease)
    {
        auto got = co_await inner_.read(q, max, lease);
        if (!got)
            co_return got;
        std::lock_guard lock(mutex_);
        std::vector<delivery> kept;
        kept.reserve(got->size());
        for (auto& d : *got) {
            if (take_fault(fault::crash_after_receive, d.msg, rates_.crash_after_receive)) {
                record(traffic::event::delivered, q, d.msg, fault::crash_after_receive);
                continue; // never acked: back after the lease
            }
            record(traffic::event::delivered, q, d.msg, std::nullopt);
            kept.push_back(std::move(d));
        }
        if (kept.size() > 1 && take_fault(fault::reorder, kept.front().msg, rates_.reorder))
            for (std::size_t i = kept.size() - 1; i > 0; --i)
                std::swap(kept[i], kept[rng_.random() % (i + 1)]);
        co_return kept;
    }

    awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids)
    {
        {
            std::lock_guard lock(mutex_);
            for (std::size_t i = 0; i < ids.size(); ++i)
                log_.push_back({traffic::event::acked, q, message{}, clock_.now(), std::nullopt});
        }
        co_return co_await inner_.ack(q, std::move(ids));
    }

    awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay)
    {
        {
            std::lock_guard lock(mutex_);
            log_.push_back({traffic::event::nacked, q, message{}, clock_.now(), std::nullopt});
        }
        co_return co_await inner_.nack(q, id, delay);
    }

    awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease)
    {
        return inner_.extend_lease(q, id, lease);
    }

    awaitable<result<void>> wait(queue_name q, time_point deadline) { return inner_.wait(q, deadline); }

private:
    // Decides the fate of one outgoing message; false if the send must fail.
    bool apply_send_faults(queue_name q, const message& m, duration delay, bool may_fail, std::vector<envelope>& out)
    {
        if (may_fail && take_fault(fault::send_failure, m, rates_.send_failure)) {
            record(traffic::event::sent, q, m, fault::send_failure);
            return false;
        }
        if (take_fault(fault::drop, m, rates_.drop)) {
            record(traffic::event::sent, q, m, fault::drop);
            return true;
        }
        if (auto extra = delay_fault(m)) {
            record(traffic::event::sent, q, m, fault::delay);
            out.push_back({q, m, delay + *extra});
            return true;
        }
        if (take_fault(fault::duplicate, m, rates_.duplicate)) {
            record(traffic::event::sent, q, m, fault::duplicate);
            out.push_back({q, m, delay});
            out.push_back({q, m, delay});
            return true;
        }
        record(traffic::event::sent, q, m, std::nullopt);
        out.push_back({q, m, delay});
        return true;
    }

    std::optional<duration> delay_fault(const message& m)
    {
        if (auto* rule = matching_rule(fault::delay, m)) {
            const auto extra = rule->extra_delay;
            consume(rule);
            ++injected_[static_cast<std::size_t>(fault::delay)];
            return extra;
        }
        if (rates_.delay > 0 && chance(rates_.delay)) {
            ++injected_[static_cast<std::size_t>(fault::delay)];
            return duration(static_cast<duration::rep>(unit() * static_cast<double>(rates_.max_delay.count())));
        }
        return std::nullopt;
    }

    bool take_fault(fault f, const message& m, double rate)
    {
        if (auto* rule = matching_rule(f, m)) {
            consume(rule);
            ++injected_[static_cast<std::size_t>(f)];
            return true;
        }
        if (rate > 0 && chance(rate)) {
            ++injected_[static_cast<std::size_t>(f)];
            return true;
        }
        return false;
    }

    fault_rule* matching_rule(fault f, const message& m)
    {
        for (auto& r : rules_)
            if (r.kind == f && r.times > 0 && (!r.on_kind || *r.on_kind == m.kind) && (!r.on_step || *r.on_step == m.step))
                return &r;
        return nullptr;
    }

    void consume(fault_rule* r)
    {
        if (--r->times == 0)
            rules_.erase(rules_.begin() + (r - rules_.data()));
    }

    double unit() { return static_cast<double>(rng_.random() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }

    void record(traffic::event what, queue_name q, const message& m, std::optional<fault> hit)
    {
        log_.push_back({what, q, m, clock_.now(), hit});
    }

    std::unique_ptr<Inner> owned_;
    Inner& inner_;
    any_clock clock_;
    mutable std::mutex mutex_;
    uuid_generator rng_;
    std::vector<fault_rule> rules_;
    fault_rates rates_;
    std::deque<traffic> log_;
    std::array<std::size_t, 6> injected_{};
};

inline std::string_view to_string(fault f) noexcept
{
    switch (f) {
    case fault::drop: return "drop";
    case fault::duplicate: return "duplicate";
    case fault::delay: return "delay";
    case fault::reorder: return "reorder";
    case fault::send_failure: return "send_failure";
    case fault::crash_after_receive: return "crash_after_receive";
    }
    return "unknown";
}

inline std::ostream& operator<<(std::ostream& os, fault f) { return os << to_string(f); }

static_assert(message_broker<fake_broker<>>);

} // namespace tasker::testing
