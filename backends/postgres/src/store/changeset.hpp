#pragma once
// Internal to tasker::postgres: everything one write transaction changes, and its commit.

#include <tasker/postgres/store.hpp>

#include "store/sql.hpp"
#include "store/task_rows.hpp"

#include <tasker/core/decision.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/json.hpp>
#include <tasker/store/change_origin.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tasker::postgres::detail {

/// Everything one transaction writes after deciding: applied by tasker.commit_changes in one
/// round trip (see migrations/0002_tasker.sql).
class changeset {
public:
    changeset(std::int64_t now_us, message_route route) : now_us_(now_us), route_(route) {}

    std::int64_t now_us() const noexcept { return now_us_; }

    /// Who makes these changes and why: recorded on every transition row (see
    /// migrations/0012_operations.sql). A transition may name its own actor instead.
    void set_origin(const change_origin& o) { origin_ = o; }

    void task_transition(const task_row& t, task_state from, task_state to, task_event e);
    void step_transition(const task_row& t, std::uint32_t step, step_state from, step_state to, step_event e,
                         const std::string* actor = nullptr);
    void send(queue_name q, const message& m, duration delay = {});
    void dead_letter(const task_row& t, const decision& d);
    /// Archives messages read in this transaction when it commits.
    void archive(read_messages read);

    /// Moves a step outside the decision core (claims, results, lost workers): the step
    /// machine decides legality, the caller has checked the state it moves from. `actor`:
    /// the worker that made the change, when it is not the change set's origin.
    void move_step(task_row& t, std::uint32_t step, step_event e, const std::string* actor = nullptr);

    /// Applies a decision of the core to `t` and records its writes: state changes in the
    /// order the core made them, then its messages and its dead letter.
    void apply_decision(task_row& t, const decision& d);

    bool empty() const noexcept;
    /// The statement that adds the steps the decisions created, run before the changes; empty
    /// when they created none.
    std::string created_steps_sql(write_transaction& tx) const;
    /// The argument of tasker.commit_changes for `tasks` (existing rows that need an update).
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
    json::array closed_dead_letters_;
    json::array created_;
    change_origin origin_;
    std::vector<read_messages> archives_;
    std::vector<std::string> finished_tasks_;
};

/// The channel a commit that ends a task notifies (`$`: no queue's channel can be named so).
inline constexpr const char* finished_channel = "tasker$finished";

/// Runs tasker.commit_changes if there is anything to write, sends the PGMQ messages and
/// archives the read ones, and commits (one round trip).
void commit(write_transaction& tx, const changeset& cs, const std::vector<task_row*>& tasks);

} // namespace tasker::postgres::detail
