// queue_reading_store accepts a store and broker that declare each other and rejects a pair
// missing any one of its requirements. The types here are only declared: the concept looks at
// their members' signatures, never calls them.
#include <tasker/store/queue_reading_store.hpp>

#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/store.hpp>

#include "support/catch.hpp"

using namespace tasker;

namespace {

/// The members of `message_broker`, declared.
struct broker_members {
    awaitable<result<void>> ensure_queue(queue_name q);
    awaitable<result<void>> send(queue_name q, message m, duration delay);
    awaitable<result<void>> send_batch(queue_name q, std::vector<message> ms, duration delay);
    awaitable<result<std::vector<delivery>>> read(queue_name q, std::size_t max, duration lease);
    awaitable<result<void>> ack(queue_name q, std::vector<delivery_id> ids);
    awaitable<result<void>> nack(queue_name q, delivery_id id, duration delay);
    awaitable<result<void>> extend_lease(queue_name q, delivery_id id, duration lease);
    awaitable<result<void>> wait(queue_name q, time_point deadline);
};

struct reading_store;

/// Requirement 2: the broker names the store that reads its queues.
struct pairing_broker : broker_members {
    using colocated_store = reading_store;
};

/// A `task_store` (the in-memory one's members) with everything requirements 3-5 ask for.
struct reading_store : inmemory::store {
    bool reads_queues() const noexcept;
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);
};

// Requirement 1: the store is a task_store, the broker a message_broker.
struct only_queue_members {
    bool reads_queues() const noexcept;
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);
};
struct pairs_with_no_task_store : broker_members {
    using colocated_store = only_queue_members;
};
struct not_a_broker {
    using colocated_store = reading_store;
};

// Requirement 2: no pairing declared, or one naming another store.
struct unpaired_broker : broker_members {};
struct broker_of_another_store : broker_members {
    using colocated_store = inmemory::store;
};

// Requirement 3: `reads_queues()` missing, not callable on a const store, or not a bool.
struct no_reads_queues : inmemory::store {
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);
};
struct mutable_reads_queues : inmemory::store {
    bool reads_queues();
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);
};
struct int_reads_queues : inmemory::store {
    int reads_queues() const noexcept;
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);
};

// Requirement 4: `claim_queued` missing or answering something else.
struct no_claim_queued : inmemory::store {
    bool reads_queues() const noexcept;
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);
};
struct claim_queued_without_claims : inmemory::store {
    bool reads_queues() const noexcept;
    awaitable<result<std::vector<delivery>>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    awaitable<result<std::vector<delivery>>> process_queued(queue_name q, std::size_t max, duration lease);
};

// Requirement 5: `process_queued` missing or answering something else.
struct no_process_queued : inmemory::store {
    bool reads_queues() const noexcept;
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
};
struct process_queued_without_deliveries : inmemory::store {
    bool reads_queues() const noexcept;
    awaitable<result<queued_claims>> claim_queued(queue_name q, std::size_t max, duration lease, uuid owner);
    awaitable<result<void>> process_queued(queue_name q, std::size_t max, duration lease);
};

/// `B`, pairing with store `S`.
template <class S>
struct broker_for : broker_members {
    using colocated_store = S;
};

} // namespace

static_assert(task_store<reading_store>);
static_assert(message_broker<pairing_broker>);
static_assert(queue_reading_store<reading_store, pairing_broker>);

static_assert(!task_store<only_queue_members>);
static_assert(!queue_reading_store<only_queue_members, pairs_with_no_task_store>);
static_assert(!message_broker<not_a_broker>);
static_assert(!queue_reading_store<reading_store, not_a_broker>);

static_assert(!queue_reading_store<reading_store, unpaired_broker>);
static_assert(!queue_reading_store<reading_store, broker_of_another_store>);
static_assert(!queue_reading_store<reading_store, broker_for<inmemory::store>>);

static_assert(!queue_reading_store<no_reads_queues, broker_for<no_reads_queues>>);
static_assert(!queue_reading_store<mutable_reads_queues, broker_for<mutable_reads_queues>>);
static_assert(!queue_reading_store<int_reads_queues, broker_for<int_reads_queues>>);

static_assert(!queue_reading_store<no_claim_queued, broker_for<no_claim_queued>>);
static_assert(!queue_reading_store<claim_queued_without_claims, broker_for<claim_queued_without_claims>>);

static_assert(!queue_reading_store<no_process_queued, broker_for<no_process_queued>>);
static_assert(!queue_reading_store<process_queued_without_deliveries, broker_for<process_queued_without_deliveries>>);

// The embedded backends keep the broker's queues to themselves.
static_assert(!queue_reading_store<inmemory::store, inmemory::broker>);

TEST_CASE("queue_reading_store: a pair that declares each other and has every member", "[unit][store]")
{
    CHECK(queue_reading_store<reading_store, pairing_broker>);
    CHECK(queue_reading_store<reading_store, broker_for<reading_store>>);
}

TEST_CASE("queue_reading_store: each missing requirement rejects the pair", "[unit][store]")
{
    CHECK_FALSE(queue_reading_store<only_queue_members, pairs_with_no_task_store>); // 1
    CHECK_FALSE(queue_reading_store<reading_store, not_a_broker>);                  // 1
    CHECK_FALSE(queue_reading_store<reading_store, unpaired_broker>);               // 2
    CHECK_FALSE(queue_reading_store<reading_store, broker_of_another_store>);       // 2
    CHECK_FALSE(queue_reading_store<no_reads_queues, broker_for<no_reads_queues>>); // 3
    CHECK_FALSE(queue_reading_store<int_reads_queues, broker_for<int_reads_queues>>);
    CHECK_FALSE(queue_reading_store<no_claim_queued, broker_for<no_claim_queued>>); // 4
    CHECK_FALSE(queue_reading_store<claim_queued_without_claims, broker_for<claim_queued_without_claims>>);
    CHECK_FALSE(queue_reading_store<no_process_queued, broker_for<no_process_queued>>); // 5
    CHECK_FALSE(queue_reading_store<process_queued_without_deliveries, broker_for<process_queued_without_deliveries>>);
    CHECK_FALSE(queue_reading_store<inmemory::store, inmemory::broker>);
}
