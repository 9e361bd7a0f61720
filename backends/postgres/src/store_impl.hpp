#pragma once
// Internal to tasker::postgres: the state of a `postgres::store` and what its translation units
// share (statements, the rows a write reads under its task locks, the change set it commits).

#include <tasker/postgres/store.hpp>

#include "finish_watch.hpp"
#include "pq/listener.hpp"
#include "pq/pool.hpp"

#include <tasker/core/decision.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/uuid.hpp>

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tasker::postgres {

namespace detail {

/// A prepared statement: registered on a connection the first time it runs there.
struct statement {
    const char* name;
    const char* sql;
};

/// Runs `s` with `args` in `tx`, prepared (see pq::exec_prepared).
template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const statement& s, Args&&... args)
{
    return pq::exec_prepared(tx, s.name, s.sql, std::forward<Args>(args)...);
}

/// A read-write transaction whose two ends cost no round trip of their own: BEGIN travels with
/// the first statement and COMMIT with the last, each pair as one simple-protocol string
/// (`pqxx::work` sends BEGIN and COMMIT alone). Every hop of a task ends one such transaction
/// and starts another, so this is two round trips per hop fewer. Statements in between run
/// through `statements()` (prepared, as usual). Rolled back when destroyed uncommitted.
class write_transaction {
public:
    explicit write_transaction(pqxx::connection& c) : tx_(c) {}
    ~write_transaction();
    write_transaction(const write_transaction&) = delete;
    write_transaction& operator=(const write_transaction&) = delete;

    /// BEGIN (unless begun already) and `sql` (a single statement, or empty): the result of
    /// `sql`.
    pqxx::result begin_with(const std::string& sql);
    /// `sql` (statements separated by `;`, or empty) and COMMIT.
    void commit_with(const std::string& sql);

    pqxx::transaction_base& statements() noexcept { return tx_; }
    std::string quote(const std::string& text) { return tx_.quote(text); }

private:
    pqxx::nontransaction tx_;
    bool open_ = false;
};

/// The name of a state, event or kind: the label of its enum type in the schema.
template <class Enum>
std::string name_of(Enum e)
{
    return std::string(to_string(e));
}

/// Microseconds since the Unix epoch, as the database hands times to the store.
time_point from_us(std::int64_t us);
std::int64_t to_us(duration d);

/// A uuid column (a task id, a lease owner); throws, naming the column, if it is not one.
uuid parse_uuid(const pqxx::field& f);
json_ptr parse_json_field(const pqxx::field& f); ///< nullptr for SQL NULL

/// One step of a locked task beyond what the decision core reads (`task_row::status`), as read
/// and as changed so far by the operation.
struct step_row {
    std::optional<step_failure> failure; ///< the last failed attempt, as stored
    std::optional<std::int64_t> lease_until_us;
    uuid lease_owner; ///< the owner token of the claim holding the lease (nil: none)

    // As read: the compare-and-set's expectation.
    step_state read_state = step_state::pending;
    std::uint32_t read_attempts = 0;

    // What the commit writes.
    bool changed = false;
    std::optional<std::int64_t> new_lease_us; ///< a lease from the operation's time, for `lease_owner`
    bool set_result = false;
    json_ptr result;
    bool set_failure = false; ///< write `failure` (cleared when empty)
};

/// A task read under its row lock (or being created), with every step.
struct task_row {
    task_id id;
    std::int64_t template_id = 0;
    template_ptr tmpl; ///< loaded only when the operation needs it
    task_state state = task_state::pending;
    task_state read_state = task_state::pending;
    std::string correlation_id;
    std::vector<step_status> status; ///< by step index: what the decision core reads, changed in place
    std::vector<step_row> steps;     ///< by step index: the rest
    bool touched = false;            ///< write updated_at (and the state) back
    bool is_new = false;             ///< inserted by this operation: nothing to compare and set
};

/// Messages a transaction read from a PGMQ queue, archived by its commit: once what they
/// asked for is durable, in the same transaction, there is nothing left to ack.
struct read_messages {
    std::string queue;
    std::vector<delivery_id> ids;
};

/// Everything one transaction writes after deciding: applied by tasker.commit_changes in one
/// round trip (see migrations/0002_tasker.sql).
class changeset {
public:
    changeset(std::int64_t now_us, message_route route) : now_us_(now_us), route_(route) {}

    std::int64_t now_us() const noexcept { return now_us_; }

    void task_transition(const task_row& t, task_state from, task_state to, task_event e);
    void step_transition(const task_row& t, std::uint32_t step, step_state from, step_state to, step_event e);
    void send(queue_name q, const message& m, duration delay = {});
    void dead_letter(const task_row& t, std::string reason, const std::vector<std::string>& failed_steps);
    /// Archives messages read in this transaction when it commits.
    void archive(read_messages read);

    /// Moves a step outside the decision core (claims, results, lost workers): the step
    /// machine decides legality, the caller has checked the state it moves from.
    void move_step(task_row& t, std::uint32_t step, step_event e);

    /// Applies a decision of the core to `t` and records its writes: state changes in the
    /// order the core made them, then its messages and its dead letter.
    void apply(task_row& t, const decision& d);

    bool empty() const noexcept;
    /// The argument of tasker.commit_changes for `tasks` (existing rows that were touched).
    /// Its messages are there only on the outbox route: on the PGMQ route they are in
    /// `pgmq_sends()`.
    std::string to_json(const std::vector<task_row*>& tasks) const;
    /// On the PGMQ route, the messages by queue, each queue's in the order sent; else empty.
    std::map<std::string, json::array> pgmq_sends() const;
    /// The tasks that reach a terminal state: the commit names them on `finished_channel`.
    const std::vector<std::string>& finished_tasks() const noexcept { return finished_tasks_; }
    const std::vector<read_messages>& archives() const noexcept { return archives_; }

private:
    std::int64_t now_us_;
    message_route route_;
    int ord_ = 0;
    json::array transitions_;
    json::array messages_;
    json::array dead_letters_;
    std::vector<read_messages> archives_;
    std::vector<std::string> finished_tasks_;
};

/// The channel a commit that ends a task notifies (`$`: no queue's channel can be named so).
inline constexpr const char* finished_channel = "tasker$finished";

/// Runs tasker.commit_changes if there is anything to write, sends the PGMQ messages and
/// archives the read ones, and commits (one round trip).
void commit(write_transaction& tx, const changeset& cs, const std::vector<task_row*>& tasks);

} // namespace detail

struct store::impl {
    store_config config;
    pq::pool pool;

    // Waiting for tasks to finish: fed by the listener, which starts with the first wait.
    detail::finish_watch finished;
    std::mutex listener_mutex;
    std::unique_ptr<pq::listener> finish_listener; // after `finished`: destroyed before it

    std::mutex random_mutex;
    uuid_generator id_source; // task ids
    uuid_generator jitter;    // the decision core's randomness (retry jitter)

    // Template rows never change once written: what was read is cached for good.
    std::mutex templates_mutex;
    std::map<std::int64_t, template_ptr> templates_by_id;
    std::map<template_key, std::int64_t> template_ids;

    explicit impl(store_config c);

    task_id next_id();
    std::uint64_t next_random();
    /// Starts the listener on `finished_channel`, once.
    void listen_for_finished();

    template <class T, class F>
    awaitable<result<T>> run(F f, std::string_view doing)
    {
        return pool.run<T>(std::move(f), doing);
    }

    // On a pool thread, inside `tx`:

    /// The template of row `id`, from the cache or read and decoded.
    result<template_ptr> template_by_id(pqxx::transaction_base& tx, std::int64_t id);
    /// Caches the templates of rows `wanted`, reading those not cached yet in one statement
    /// (listings and batches never read templates one by one).
    result<void> cache_templates(pqxx::transaction_base& tx, std::vector<std::int64_t> wanted);
    /// The registered template `ref` names (exact version, or the newest), and its row id;
    /// the errors of `template_registry::find`.
    result<std::pair<std::int64_t, template_ptr>> find_template(pqxx::transaction_base& tx, const template_ref& ref);
    void remember(std::int64_t id, const template_ptr& t);

    /// Begins `tx`, locks the rows of `ids` (sorted, distinct) in id order and reads them with
    /// all their steps, in one round trip (tasker.lock_tasks); unknown ids are left out.
    /// Returns the rows and the time of the lock (microseconds, the server's clock), which the
    /// operation uses as its `now`.
    std::pair<std::vector<detail::task_row>, std::int64_t> lock_tasks(detail::write_transaction& tx,
                                                                       const std::vector<task_id>& ids);
    /// Fills `t.tmpl` of each row (the templates' rows read in one statement if needed).
    result<void> load_templates(pqxx::transaction_base& tx, std::vector<detail::task_row*> rows);

    /// Begins `tx` with a read of up to `max` messages of PGMQ queue `q`, leased for `lease`
    /// (one round trip): they are read only if `tx` commits. Messages that are not tasker's
    /// are archived instead (pq::deliveries_from_rows).
    std::vector<delivery> read_queue(detail::write_transaction& tx, const queue_name& q, std::size_t max,
                                     duration lease);
    /// The claims of `reqs`, decided and committed in `tx` (begun or not).
    result<std::vector<claim_outcome>> claim(detail::write_transaction& tx, const std::vector<claim_request>& reqs);
    /// Orchestration of `events` (results and retry timers), decided and committed in `tx`,
    /// with `read` (the messages they came in) archived by the same commit.
    result<void> process(detail::write_transaction& tx, const std::vector<message>& events,
                         detail::read_messages read = {});
};

} // namespace tasker::postgres
