#include <tasker/inmemory/broker.hpp>

#include <tasker/detail/waiter_list.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <deque>
#include <mutex>
#include <queue>

namespace tasker::inmemory {

namespace {

// A delivery id is the slot index in the low half and the slot's delivery generation in
// the high half, so a stale id (of an earlier delivery of the same slot) never matches.
constexpr delivery_id make_id(std::uint32_t slot, std::uint32_t generation) noexcept
{
    return (delivery_id{generation} << 32) | slot;
}
constexpr std::uint32_t slot_of(delivery_id id) noexcept { return static_cast<std::uint32_t>(id); }
constexpr std::uint32_t generation_of(delivery_id id) noexcept { return static_cast<std::uint32_t>(id >> 32); }

} // namespace

class broker::queue {
public:
    void push(std::span<const message> ms, duration delay, time_point now)
    {
        {
            std::lock_guard lock(mutex_);
            for (const auto& m : ms) {
                const std::uint32_t s = allocate();
                auto& sl = slots_[s];
                sl.msg = m;
                sl.read_count = 0;
                sl.enqueued_at = now + delay;
                if (delay > duration::zero()) {
                    sl.where = place::delayed;
                    delayed_.push({now + delay, s, sl.generation});
                } else {
                    sl.where = place::visible;
                    visible_.push_back(s);
                }
            }
            sent_ += ms.size();
        }
        waiters_.notify_all();
    }

    std::vector<delivery> take(std::size_t max, duration lease, time_point now)
    {
        std::vector<delivery> out;
        std::lock_guard lock(mutex_);
        promote(now);
        const std::size_t n = std::min(max, visible_.size());
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t s = visible_.front();
            visible_.pop_front();
            auto& sl = slots_[s];
            ++sl.generation;
            ++sl.read_count;
            sl.where = place::in_flight;
            sl.lease_until = now + lease;
            link_leased(s);
            ++in_flight_;
            out.push_back(delivery{make_id(s, sl.generation), sl.msg, sl.read_count, sl.enqueued_at});
        }
        return out;
    }

    void ack(std::span<const delivery_id> ids)
    {
        std::lock_guard lock(mutex_);
        for (auto id : ids)
            if (auto* sl = leased(id)) {
                unlink_leased(slot_of(id));
                sl->where = place::free;
                --in_flight_;
                free_.push_back(slot_of(id));
            }
    }

    bool nack(delivery_id id, duration delay, time_point now)
    {
        {
            std::lock_guard lock(mutex_);
            auto* sl = leased(id);
            if (!sl)
                return false;
            unlink_leased(slot_of(id));
            --in_flight_;
            if (delay > duration::zero()) {
                sl->where = place::delayed;
                delayed_.push({now + delay, slot_of(id), sl->generation});
            } else {
                sl->where = place::visible;
                visible_.push_front(slot_of(id)); // redeliveries keep their place at the head
            }
        }
        waiters_.notify_all();
        return true;
    }

    bool extend(delivery_id id, duration lease, time_point now)
    {
        std::lock_guard lock(mutex_);
        auto* sl = leased(id);
        if (!sl)
            return false;
        unlink_leased(slot_of(id));
        sl->lease_until = now + lease;
        link_leased(slot_of(id));
        return true;
    }

    /// Whether a read would find something now; else when something may become visible.
    std::pair<bool, std::optional<time_point>> readiness(time_point now)
    {
        std::lock_guard lock(mutex_);
        promote(now);
        if (!visible_.empty())
            return {true, std::nullopt};
        return {false, next_due_locked()};
    }

    std::optional<time_point> next_due() const
    {
        std::lock_guard lock(mutex_);
        return next_due_locked();
    }

    queue_stats stats(time_point now)
    {
        std::lock_guard lock(mutex_);
        promote(now);
        std::size_t delayed = 0;
        for (const auto& sl : slots_)
            delayed += sl.where == place::delayed;
        return {visible_.size(), delayed, in_flight_, sent_};
    }

    detail::waiter_list& waiters() noexcept { return waiters_; }

private:
    enum class place : std::uint8_t { free, visible, delayed, in_flight };

    static constexpr std::uint32_t none = 0xffffffff;

    struct slot {
        message msg;
        time_point enqueued_at;
        time_point lease_until;
        std::uint32_t generation = 0;
        std::uint32_t read_count = 0;
        std::uint32_t prev = none; // in-flight list, ordered by lease_until
        std::uint32_t next = none;
        place where = place::free;
    };

    struct timed {
        time_point at;
        std::uint32_t slot;
        std::uint32_t generation;
        bool operator>(const timed& o) const noexcept { return at > o.at; }
    };
    using timed_heap = std::priority_queue<timed, std::vector<timed>, std::greater<>>;

    std::uint32_t allocate()
    {
        if (!free_.empty()) {
            const auto s = free_.back();
            free_.pop_back();
            return s;
        }
        slots_.emplace_back();
        return static_cast<std::uint32_t>(slots_.size() - 1);
    }

    slot* leased(delivery_id id)
    {
        const auto s = slot_of(id);
        if (s >= slots_.size())
            return nullptr;
        auto& sl = slots_[s];
        return sl.where == place::in_flight && sl.generation == generation_of(id) ? &sl : nullptr;
    }

    // Moves due delayed messages and expired leases to the visible queue. Heap entries
    // that no longer match their slot (acked, nacked, re-leased) are dropped here.
    void promote(time_point now)
    {
        while (!delayed_.empty() && delayed_.top().at <= now) {
            const auto t = delayed_.top();
            delayed_.pop();
            auto& sl = slots_[t.slot];
            if (sl.where == place::delayed && sl.generation == t.generation) {
                sl.where = place::visible;
                visible_.push_back(t.slot);
            }
        }
        // Expired leases go back to the head in lease order (read order for equal leases):
        // pushing each to the front would redeliver a batch that expired together newest first.
        std::ptrdiff_t head = 0;
        while (lease_head_ != none && slots_[lease_head_].lease_until <= now) {
            const std::uint32_t s = lease_head_;
            unlink_leased(s);
            slots_[s].where = place::visible;
            --in_flight_;
            visible_.insert(visible_.begin() + head++, s);
        }
    }

    // In-flight slots form a list ordered by lease end, so the next expiry is at the head
    // and an ack unlinks in O(1). Leases mostly share one duration, so a new lease goes at
    // the tail; the backward scan only walks past longer leases.
    void link_leased(std::uint32_t s)
    {
        auto& sl = slots_[s];
        std::uint32_t after = lease_tail_;
        while (after != none && slots_[after].lease_until > sl.lease_until)
            after = slots_[after].prev;
        sl.prev = after;
        sl.next = after == none ? lease_head_ : slots_[after].next;
        (sl.next == none ? lease_tail_ : slots_[sl.next].prev) = s;
        (after == none ? lease_head_ : slots_[after].next) = s;
    }

    void unlink_leased(std::uint32_t s)
    {
        auto& sl = slots_[s];
        (sl.prev == none ? lease_head_ : slots_[sl.prev].next) = sl.next;
        (sl.next == none ? lease_tail_ : slots_[sl.next].prev) = sl.prev;
        sl.prev = sl.next = none;
    }

    std::optional<time_point> next_due_locked() const
    {
        std::optional<time_point> next;
        if (!delayed_.empty())
            next = delayed_.top().at;
        if (lease_head_ != none && (!next || slots_[lease_head_].lease_until < *next))
            next = slots_[lease_head_].lease_until;
        return next;
    }

    mutable std::mutex mutex_;
    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;
    std::deque<std::uint32_t> visible_;
    timed_heap delayed_;
    std::uint32_t lease_head_ = none;
    std::uint32_t lease_tail_ = none;
    std::size_t in_flight_ = 0;
    std::uint64_t sent_ = 0;
    detail::waiter_list waiters_;
};

broker::broker(any_clock clock) : clock_(std::move(clock)) {}
broker::~broker() = default;

broker::queue& broker::get(queue_name q)
{
    {
        std::shared_lock lock(mutex_);
        if (auto it = queues_.find(q); it != queues_.end())
            return *it->second;
    }
    std::unique_lock lock(mutex_);
    auto& slot = queues_[q];
    if (!slot)
        slot = std::make_unique<queue>();
    return *slot;
}

broker::queue* broker::find(queue_name q) const
{
    std::shared_lock lock(mutex_);
    auto it = queues_.find(q);
    return it == queues_.end() ? nullptr : it->second.get();
}

void broker::push(queue_name q, std::span<const message> ms, duration delay) { get(q).push(ms, delay, clock_.now()); }

std::vector<delivery> broker::take(queue_name q, std::size_t max, duration lease)
{
    return get(q).take(max, lease, clock_.now());
}

void broker::ack_sync(queue_name q, std::span<const delivery_id> ids) { get(q).ack(ids); }

bool broker::nack_sync(queue_name q, delivery_id id, duration delay) { return get(q).nack(id, delay, clock_.now()); }

bool broker::extend_sync(queue_name q, delivery_id id, duration lease) { return get(q).extend(id, lease, clock_.now()); }

void broker::deliver(std::span<const envelope> batch)
{
    // Consecutive envelopes for the same queue and delay go in one locked push.
    std::vector<message> run;
    for (std::size_t i = 0; i < batch.size();) {
        std::size_t j = i;
        run.clear();
        while (j < batch.size() && batch[j].queue == batch[i].queue && batch[j].delay == batch[i].delay)
            run.push_back(batch[j++].msg);
        push(batch[i].queue, run, batch[i].delay);
        i = j;
    }
}

awaitable<result<void>> broker::ensure_queue(queue_name q)
{
    get(q);
    co_return result<void>{};
}

awaitable<result<void>> broker::send(queue_name q, message m, duration delay)
{
    push(q, std::span<const message>(&m, 1), delay);
    co_return result<void>{};
}

awaitable<result<void>> broker::send_batch(queue_name q, std::vector<message> ms, duration delay)
{
    push(q, ms, delay);
    co_return result<void>{};
}

awaitable<result<std::vector<delivery>>> broker::read(queue_name q, std::size_t max, duration lease)
{
    co_return take(q, max, lease);
}

awaitable<result<void>> broker::ack(queue_name q, std::vector<delivery_id> ids)
{
    ack_sync(q, ids);
    co_return result<void>{};
}

awaitable<result<void>> broker::nack(queue_name q, delivery_id id, duration delay)
{
    nack_sync(q, id, delay);
    co_return result<void>{};
}

awaitable<result<void>> broker::extend_lease(queue_name q, delivery_id id, duration lease)
{
    extend_sync(q, id, lease);
    co_return result<void>{};
}

awaitable<result<void>> broker::wait(queue_name q, time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    auto& qu = get(q);
    const auto seen = qu.waiters().version();
    auto [ready, due] = qu.readiness(clock_.now());
    if (ready)
        co_return result<void>{};
    const time_point wake = due ? std::min(*due, deadline) : deadline;
    if (wake <= clock_.now())
        co_return result<void>{};
    co_await (qu.waiters().wait(time_point::max(), seen) || clock_.wait_until(wake));
    co_return result<void>{};
}

broker::queue_stats broker::stats(queue_name q) const
{
    auto* qu = find(q);
    return qu ? qu->stats(clock_.now()) : queue_stats{};
}

std::optional<time_point> broker::next_due() const
{
    std::shared_lock lock(mutex_);
    std::optional<time_point> next;
    for (const auto& [name, qu] : queues_)
        if (auto d = qu->next_due(); d && (!next || *d < *next))
            next = d;
    return next;
}

} // namespace tasker::inmemory
