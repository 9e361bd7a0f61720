#include "store/store_state.hpp"

#include "pq/pgmq_tables.hpp"

#include <algorithm>

// Reading PGMQ queues in the store's own transactions: a worker's read and its claims, or an
// orchestrator's read and its pass, commit together (nothing is read unless they do).

namespace tasker::postgres {

using namespace detail;

bool store::reads_queues() const noexcept { return impl_->config.route == message_route::pgmq; }

std::vector<delivery> store::impl::read_queue(write_transaction& tx, const queue_name& q, std::size_t max,
                                              duration lease)
{
    // Prepared, and run by EXECUTE in the string that begins the transaction: BEGIN and the
    // read are one round trip. No asynchronous commit here, unlike the broker's read: this
    // transaction commits claims and state changes too.
    const auto execute =
        pq::execute_prepared_sql(tx.statements(), pq::pgmq_statement("take", q.str()), pq::pgmq_read_sql(q.str(), false));
    const auto rows = tx.begin_with(execute + "(" + std::to_string(std::min<std::size_t>(max, 100'000)) + ", " +
                                    std::to_string(pq::whole_seconds(lease, 1)) + ")");
    std::vector<delivery_id> foreign;
    auto out = pq::deliveries_from_rows(rows, foreign);
    if (!foreign.empty()) // archived in this transaction, for an operator to look at
        pq::exec_prepared(tx.statements(), pq::pgmq_statement("shelve", q.str()),
                          pq::pgmq_archive_sql(q.str(), false), pq::array_literal(foreign));
    return out;
}

awaitable<result<queued_claims>> store::claim_queued(queue_name q, std::size_t max, duration lease, uuid owner)
{
    auto op = [impl = impl_.get(), q, max, lease, owner](pqxx::connection& c) -> result<queued_claims> {
        queued_claims out;
        if (max == 0)
            return out;
        write_transaction tx(c);
        out.deliveries = impl->read_queue(tx, q, max, lease);
        std::vector<claim_request> reqs;
        reqs.reserve(out.deliveries.size());
        for (const auto& d : out.deliveries)
            reqs.push_back({step_ref{d.msg.task, d.msg.step}, d.msg.attempt, lease, owner});
        auto claimed = impl->claim(tx, reqs);
        if (!claimed)
            return claimed.error();
        out.outcomes = std::move(*claimed);
        return out;
    };
    co_return co_await impl_->run<queued_claims>(std::move(op), "claim_queued");
}

awaitable<result<std::vector<delivery>>> store::process_queued(queue_name q, std::size_t max, duration lease)
{
    auto op = [impl = impl_.get(), q, max, lease](pqxx::connection& c) -> result<std::vector<delivery>> {
        if (max == 0)
            return std::vector<delivery>{};
        write_transaction tx(c);
        auto read = impl->read_queue(tx, q, max, lease);
        std::vector<message> events;
        read_messages done_with{q.str(), {}};
        for (const auto& d : read) {
            if (orchestrates(d.msg))
                events.push_back(d.msg);
            done_with.ids.push_back(d.id);
        }
        if (auto done = impl->orchestrate(tx, events, std::move(done_with)); !done)
            return done.error();
        return read;
    };
    co_return co_await impl_->run<std::vector<delivery>>(std::move(op), "process_queued");
}

} // namespace tasker::postgres
