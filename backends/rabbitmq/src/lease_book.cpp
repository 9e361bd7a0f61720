#include "lease_book.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tasker::rabbitmq {

void lease_book::connected()
{
    ++generation_;
    unacked_.clear();
    parts_left_.clear();
}

void lease_book::disconnected()
{
    leases_.clear();
    for (auto& [q, ready] : buffered_)
        ready.clear();
}

bool lease_book::arrive(const std::string& queue, arrived a)
{
    unacked_.insert(a.tag);
    auto& ready = buffered_[queue];
    const bool first = ready.empty();
    ready.push_back(std::move(a));
    return first;
}

void lease_book::arrive_unclaimed(std::uint64_t tag) { unacked_.insert(tag); }

std::size_t lease_book::buffered(const std::string& queue) const
{
    const auto it = buffered_.find(queue);
    return it == buffered_.end() ? 0 : it->second.size();
}

taken lease_book::take(const std::string& queue, std::size_t max, steady_time until)
{
    taken out;
    auto& ready = buffered_[queue];
    while (out.deliveries.size() < max && !ready.empty()) {
        auto& a = ready.front();
        if (!a.parts) {
            auto parts = unpack(std::move(a.body)); // the parts keep what is given back
            if (!parts) {
                out.rejected.push_back(a.tag);
                unacked_.erase(a.tag);
                ready.pop_front();
                continue;
            }
            a.parts = std::move(*parts);
            if (a.parts->size() > 1)
                parts_left_[a.tag] = a.parts->size();
        }
        for (; out.deliveries.size() < max && a.taken < a.parts->size(); ++a.taken) {
            auto& [m, text] = (*a.parts)[a.taken];
            const auto id = next_id_++;
            out.deliveries.push_back(delivery{id, std::move(m), a.read_count, a.enqueued_at});
            leases_.emplace(id, leased{queue, a.tag, generation_, until, std::move(text), a.read_count});
        }
        if (a.taken == a.parts->size())
            ready.pop_front();
    }
    return out;
}

ack_plan lease_book::acknowledge(const std::vector<delivery_id>& ids)
{
    std::vector<std::uint64_t> tags;
    for (auto id : ids) {
        auto it = leases_.find(id);
        if (it == leases_.end())
            continue;
        if (settles(it->second.tag, it->second.generation, 1))
            tags.push_back(it->second.tag);
        leases_.erase(it);
    }
    ack_plan plan;
    if (tags.empty())
        return plan;
    std::sort(tags.begin(), tags.end());
    std::size_t run = 0;
    for (auto oldest = unacked_.begin(); run < tags.size() && oldest != unacked_.end() && *oldest == tags[run];
         ++oldest)
        ++run;
    if (run >= 2)
        plan.up_to = tags[run - 1];
    else
        run = 0;
    plan.each.assign(tags.begin() + static_cast<std::ptrdiff_t>(run), tags.end());
    for (auto t : tags)
        unacked_.erase(t);
    return plan;
}

give_back lease_book::copy_of(leased l)
{
    give_back g{std::move(l.queue), l.tag, l.generation, {}};
    g.copies.push_back({std::move(l.body), l.read_count});
    return g;
}

std::optional<give_back> lease_book::withdraw(delivery_id id)
{
    auto it = leases_.find(id);
    if (it == leases_.end())
        return std::nullopt;
    auto l = std::move(it->second);
    leases_.erase(it);
    return copy_of(std::move(l));
}

void lease_book::extend(delivery_id id, steady_time until)
{
    if (auto it = leases_.find(id); it != leases_.end())
        it->second.until = until;
}

std::vector<give_back> lease_book::expire(steady_time now)
{
    std::vector<give_back> out;
    for (auto it = leases_.begin(); it != leases_.end();) {
        if (it->second.until <= now) {
            out.push_back(copy_of(std::move(it->second)));
            it = leases_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::optional<steady_time> lease_book::next_expiry() const
{
    std::optional<steady_time> next;
    for (const auto& [id, l] : leases_)
        if (!next || l.until < *next)
            next = l.until;
    return next;
}

std::vector<give_back> lease_book::unread(const std::string& queue)
{
    std::vector<give_back> out;
    auto it = buffered_.find(queue);
    if (it == buffered_.end())
        return out;
    auto ready = std::move(it->second);
    it->second.clear();
    for (auto& a : ready) {
        give_back g{queue, a.tag, generation_, {}};
        const auto before = a.read_count - 1; // never handed out: not a delivery
        if (!a.parts)
            g.copies.push_back({std::move(a.body), before}); // whole, as it came
        else
            for (auto k = a.taken; k < a.parts->size(); ++k)
                g.copies.push_back({std::move((*a.parts)[k].second), before});
        out.push_back(std::move(g));
    }
    return out;
}

void lease_book::drop_buffered(const std::string& queue)
{
    auto it = buffered_.find(queue);
    if (it == buffered_.end())
        return;
    for (const auto& a : it->second) {
        unacked_.erase(a.tag);
        parts_left_.erase(a.tag);
    }
    it->second.clear();
}

bool lease_book::settles(std::uint64_t tag, std::uint64_t generation, std::size_t n)
{
    if (generation != generation_)
        return false; // tags mean nothing on another connection: RabbitMQ requeued it
    auto it = parts_left_.find(tag);
    if (it == parts_left_.end())
        return true;
    if (it->second > n) {
        it->second -= n;
        return false;
    }
    parts_left_.erase(it);
    return true;
}

bool lease_book::settle(std::uint64_t tag, std::uint64_t generation, std::size_t n)
{
    if (!settles(tag, generation, n))
        return false;
    unacked_.erase(tag);
    return true;
}

} // namespace tasker::rabbitmq
