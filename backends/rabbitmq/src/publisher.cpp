#include "publisher.hpp"

#include <iterator>
#include <utility>

namespace tasker::rabbitmq {

result<void> publisher::publish(std::vector<outgoing> ms, const send_function& send, detail::backend_reply<void> done)
{
    if (ms.empty()) {
        done(result<void>{});
        return {};
    }
    auto b = std::make_shared<batch>();
    b->remaining = ms.size();
    b->done = std::move(done);
    for (const auto& m : ms) {
        auto seq = send(m);
        if (!seq) {
            fail_all(seq.error()); // this batch too, if some of it was sent
            if (!b->answered) {
                b->failed = seq.error();
                b->answered = true;
                b->answer();
            }
            return seq.error();
        }
        unconfirmed_.emplace(*seq, b);
    }
    return {};
}

void publisher::confirmed(std::uint64_t seq, bool multiple, std::optional<error> failure)
{
    const auto end = multiple ? unconfirmed_.upper_bound(seq) : unconfirmed_.find(seq);
    auto first = multiple ? unconfirmed_.begin() : end;
    auto last = multiple ? end : (end == unconfirmed_.end() ? end : std::next(end));
    std::vector<std::shared_ptr<batch>> finished;
    for (auto it = first; it != last; ++it) {
        auto& b = it->second;
        if (failure && !b->failed)
            b->failed = failure;
        if (--b->remaining == 0) {
            b->answered = true;
            finished.push_back(b);
        }
    }
    unconfirmed_.erase(first, last);
    // Answered once the books are straight: an answer may publish or fail again.
    for (auto& b : finished)
        b->answer();
}

void publisher::fail_all(const error& e)
{
    auto pending = std::move(unconfirmed_);
    unconfirmed_.clear();
    std::vector<std::shared_ptr<batch>> batches;
    for (auto& [seq, b] : pending)
        if (!b->answered) {
            if (!b->failed)
                b->failed = e;
            b->answered = true;
            batches.push_back(b);
        }
    for (auto& b : batches)
        b->answer();
}

} // namespace tasker::rabbitmq
