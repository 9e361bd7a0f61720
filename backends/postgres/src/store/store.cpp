#include <tasker/postgres/store.hpp>

#include "store/store_state.hpp"

#include <ostream>

// The PostgreSQL store, cut by entity: templates.cpp, task_creation.cpp,
// claims_and_results.cpp, orchestration.cpp, queue_reads.cpp, operator_actions.cpp,
// queries.cpp; what a write changes and its commit in changeset.cpp; the shared state in
// store_state.cpp. Here: construction and waiting for tasks to finish.
//
// Every statement runs in a named lambda moved into `run` (see tasker/asio.hpp).

namespace tasker::postgres {

static_assert(task_store<store>);

store::store(store_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

store::~store() = default;

const store_config& store::config() const noexcept { return impl_->config; }

std::uint64_t store::version() const { return impl_->finished.epoch(); }

awaitable<void> store::wait_for_finish(task_id id, std::uint64_t seen, time_point deadline)
{
    impl_->listen_for_finished();
    co_await impl_->finished.wait(id, seen, deadline);
}

std::string_view to_string(message_route r) noexcept
{
    switch (r) {
    case message_route::pgmq: return "pgmq";
    case message_route::outbox: return "outbox";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, message_route r) { return os << to_string(r); }

} // namespace tasker::postgres
