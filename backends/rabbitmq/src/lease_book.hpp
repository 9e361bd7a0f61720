#pragma once
// Internal to tasker::rabbitmq: the broker's books on deliveries, with no I/O and no clock
// (times are passed in). The broker feeds it what RabbitMQ delivered, asks it what to hand
// out and what to ack, reject or publish again, and does the I/O it says.

#include "pack_codec.hpp"

#include <tasker/messaging/delivery.hpp>
#include <tasker/model/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tasker::rabbitmq {

using steady_time = std::chrono::steady_clock::time_point;

/// A delivery RabbitMQ pushed that no `take` has handed out (all of) yet.
struct arrived {
    std::uint64_t tag = 0;    ///< the channel's delivery tag
    std::string body;         ///< as it came; moved into `parts` when opened
    std::uint32_t read_count = 1;
    time_point enqueued_at;
    /// Once a `take` opened it: the tasker messages it carries (one, or a pack), and how many
    /// of them were handed out.
    std::optional<std::vector<unpacked>> parts;
    std::size_t taken = 0;
};

/// A tasker message handed out by `take`, until acked, given back or its lease ends.
struct leased {
    std::string queue; ///< tasker queue name
    std::uint64_t tag = 0;
    std::uint64_t generation = 0; ///< of the connection it came on: tags mean nothing on another
    steady_time until;
    std::string body;
    std::uint32_t read_count = 1;
};

/// Messages of one delivery to publish again (to `queue`), after which the delivery is
/// settled for them (`lease_book::settle`): a crash in between leaves two copies, never none.
struct give_back {
    std::string queue;
    std::uint64_t tag = 0;
    std::uint64_t generation = 0;
    std::vector<outgoing> copies; ///< each with the read count to publish it with
};

/// What `take` handed out, and the deliveries it found unreadable (not tasker messages): to
/// reject, so the queue dead-letters them.
struct taken {
    std::vector<delivery> deliveries;
    std::vector<std::uint64_t> rejected;
};

/// The ack frames due: one with `multiple` up to `up_to` (when set), then one per tag of `each`.
struct ack_plan {
    std::optional<std::uint64_t> up_to;
    std::vector<std::uint64_t> each;

    bool empty() const noexcept { return !up_to && each.empty(); }
    friend bool operator==(const ack_plan&, const ack_plan&) = default;
};

/// The books on one broker's deliveries: what arrived and waits for a `take`, per tasker
/// queue; what was handed out (leased) and until when; which delivery tags of the current
/// connection are not acked or rejected yet; how many messages of each opened pack are not
/// settled yet.
///
/// Rules:
/// - Delivery tags belong to a connection (its `generation`): after `connected()` nothing of
///   an older one is acked (RabbitMQ requeued it when that connection went).
/// - A delivery carrying one message is acked when that message is; a pack once every one of
///   its messages is settled (acked, or given back as a copy).
/// - Acks go as one frame with `multiple` for the longest run of the oldest unacked tags
///   that are all being acked (a run of two or more), one frame per tag for the rest: a tag
///   still unacked here stops the run, so nothing is acked before its consumer is done.
class lease_book {
public:
    /// A new connection: every tag of the previous one is void.
    void connected();
    /// The connection is gone: leases and buffered deliveries with it (RabbitMQ requeues them).
    void disconnected();
    std::uint64_t generation() const noexcept { return generation_; }

    /// A delivery for the consumer of `queue`, buffered until taken. True if `queue` had
    /// nothing buffered before (a waiter may wake).
    bool arrive(const std::string& queue, arrived a);
    /// A delivery no consumer here takes: unacked on this connection, never handed out.
    void arrive_unclaimed(std::uint64_t tag);
    std::size_t buffered(const std::string& queue) const;

    /// Hands out up to `max` messages buffered for `queue`, in arrival order, leased until
    /// `until`. A pack's messages go one by one, so a pack may be split between takes.
    /// Unreadable deliveries are dropped from the books and listed to reject.
    taken take(const std::string& queue, std::size_t max, steady_time until);

    /// Settles the leases `ids` (unknown ids are skipped: given back already, or from a
    /// connection gone since) and says which acks that makes due. The tags in it are no
    /// longer counted unacked.
    ack_plan acknowledge(const std::vector<delivery_id>& ids);

    /// Ends the lease `id` early (a nack): the message to publish again with one more read
    /// counted; empty if `id` is not leased.
    std::optional<give_back> withdraw(delivery_id id);
    /// Moves the end of lease `id` (no effect if it is not leased).
    void extend(delivery_id id, steady_time until);
    /// Ends every lease due by `now`, in hand-out order: each message to publish again with
    /// one more read counted.
    std::vector<give_back> expire(steady_time now);
    /// When the next lease ends, if any is held.
    std::optional<steady_time> next_expiry() const;

    /// Everything buffered for `queue`, taken out of the books: the messages no `take` handed
    /// out yet (a delivery whole as it came, or the rest of a pack), to publish again with the
    /// read count they came with (an unread delivery is not counted as one).
    std::vector<give_back> unread(const std::string& queue);
    /// `queue`'s consumer is gone with its queue: its buffered deliveries are forgotten, tags
    /// and all (their messages went with the queue).
    void drop_buffered(const std::string& queue);

    /// Settles `n` messages of delivery `tag` (of connection `generation`), published again:
    /// true if the delivery itself is to be acked now (a single message, or the last of its
    /// pack); its tag is then no longer counted unacked.
    bool settle(std::uint64_t tag, std::uint64_t generation, std::size_t n);

    /// Whether `tag` of the current connection is neither acked nor rejected yet.
    bool unacked(std::uint64_t tag) const { return unacked_.contains(tag); }
    std::size_t leases() const noexcept { return leases_.size(); }

private:
    bool settles(std::uint64_t tag, std::uint64_t generation, std::size_t n);
    static give_back copy_of(leased l);

    std::uint64_t generation_ = 0;
    std::map<std::string, std::deque<arrived>> buffered_; // by tasker queue name
    std::map<delivery_id, leased> leases_;                // in hand-out order
    /// Every tag of the current connection not acked or rejected yet, whatever became of it
    /// here: an ack with `multiple` covers every such tag up to its own.
    std::set<std::uint64_t> unacked_;
    /// Packs opened by a `take`: how many of their messages are not settled yet.
    std::map<std::uint64_t, std::size_t> parts_left_;
    delivery_id next_id_ = 1;
};

} // namespace tasker::rabbitmq
