#include "verify.hpp"

#include <tasker/state/step_machine.hpp>
#include <tasker/state/task_machine.hpp>

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <sstream>
#include <type_traits>
#include <utility>

namespace examples {

namespace {

constexpr std::size_t violations_kept = 20;

void violation(verification& v, std::string what)
{
    if (++v.violation_count <= violations_kept)
        v.violations.push_back(std::move(what));
}

/// A task or step as its row holds it now.
struct current {
    std::string state;
    int attempts = 0;
    bool seen_history = false;
};

/// One task's or one step's history, row by row, as a walk through its MSM table.
/// `Machine` is `task_machine` (with its State and Event) or `step_machine`; `owner` names
/// the task or step in violations.
template <class Machine, class State, class Event>
class history_walk {
    static constexpr bool is_step = std::is_same_v<Event, tasker::step_event>;

public:
    history_walk(verification& v, std::string owner) : v_(v), owner_(std::move(owner)) {}

    /// The next row: `from` --event--> `to` (the database's enum labels), the attempt count
    /// after it (steps only) and whether it is marked the current row.
    void row(const std::string& from, const std::string& event, const std::string& to, int attempt, bool most_recent)
    {
        const std::string where = owner_ + ": row " + std::to_string(++rows_) + " (" + from + " --" + event + "--> " + to + ")";
        const auto f = parse_state(from);
        const auto t = parse_state(to);
        const auto e = parse_event(event);
        if (!f || !t || !e) {
            violation(v_, where + " names an unknown state or event");
            state_.reset();
            return;
        }
        if (f != state_)
            violation(v_, where + " does not start where the previous row ended, " + name(state_));
        if (const auto next = Machine::next(*f, *e); !next || *next != *t)
            violation(v_, where + " is not a transition of the state machine");
        if constexpr (is_step) {
            const int expected = *e == tasker::step_event::claim   ? attempt_ + 1
                                 : *e == tasker::step_event::reset ? 0
                                                                   : attempt_;
            if (attempt != expected)
                violation(v_, where + " counts attempt " + std::to_string(attempt) + ", expected " +
                                  std::to_string(expected));
            successes_ += *t == tasker::step_state::enqueued_for_orchestration;
            v_.attempts += *e == tasker::step_event::claim;
            v_.failures += *e == tasker::step_event::fail;
            v_.retries += *e == tasker::step_event::retry;
        }
        if (most_recent_seen_)
            violation(v_, where + " follows the row marked most recent");
        most_recent_seen_ = most_recent;
        state_ = t;
        attempt_ = attempt;
    }

    /// After the last row: the history ends where the task or step row is, and that is complete.
    void end(const current& now)
    {
        if (name(state_) != now.state)
            violation(v_, owner_ + ": the history ends in " + name(state_) + " but the row says " + now.state);
        if (!most_recent_seen_)
            violation(v_, owner_ + ": the last history row is not marked most recent");
        if constexpr (is_step) {
            if (attempt_ != now.attempts)
                violation(v_, owner_ + ": the history counts " + std::to_string(attempt_) + " attempts, the row " +
                                  std::to_string(now.attempts));
            if (successes_ > 1)
                violation(v_, owner_ + ": succeeded " + std::to_string(successes_) + " times");
        }
        if (now.state != "complete")
            violation(v_, owner_ + " is " + now.state + ", not complete");
    }

private:
    static std::optional<State> parse_state(const std::string& s)
    {
        if constexpr (is_step)
            return tasker::step_state_from_string(s);
        else
            return tasker::task_state_from_string(s);
    }
    static std::optional<Event> parse_event(const std::string& s)
    {
        if constexpr (is_step)
            return tasker::step_event_from_string(s);
        else
            return tasker::task_event_from_string(s);
    }
    static std::string name(const std::optional<State>& s) { return s ? std::string(to_string(*s)) : "unknown"; }

    verification& v_;
    std::string owner_;
    std::optional<State> state_ = State::pending; // every history starts there; unknown after a bad row
    int attempt_ = 0;
    std::size_t rows_ = 0;
    std::size_t successes_ = 0;
    bool most_recent_seen_ = false;
};

using task_walk = history_walk<tasker::task_machine, tasker::task_state, tasker::task_event>;
using step_walk = history_walk<tasker::step_machine, tasker::step_state, tasker::step_event>;

void check_tasks(pqxx::transaction_base& tx, verification& v)
{
    std::map<std::string, current> tasks;
    for (const auto& row : tx.exec("SELECT id::text, state::text FROM tasker.tasks"))
        tasks[row[0].c_str()] = current{row[1].c_str(), 0};
    v.tasks = tasks.size();

    std::optional<task_walk> walk;
    std::string walking;
    const auto finish = [&] {
        if (walk)
            walk->end(tasks[walking]);
    };
    for (const auto& row : tx.exec("SELECT task_id::text, from_state::text, to_state::text, event::text, most_recent "
                                   "FROM tasker.task_transitions ORDER BY task_id, seq")) {
        if (walking != row[0].c_str()) {
            finish();
            walking = row[0].c_str();
            walk.emplace(v, "task " + walking);
            tasks[walking].seen_history = true;
        }
        walk->row(row[1].c_str(), row[3].c_str(), row[2].c_str(), 0, row[4].as<bool>());
    }
    finish();
    for (const auto& [id, t] : tasks)
        if (!t.seen_history)
            violation(v, "task " + id + " is " + t.state + " and has no history");
}

void check_steps(pqxx::transaction_base& tx, verification& v)
{
    using key = std::pair<std::string, int>;
    std::map<key, current> steps;
    for (const auto& row : tx.exec("SELECT task_id::text, idx, state::text, attempts FROM tasker.steps"))
        steps[{row[0].c_str(), row[1].as<int>()}] = current{row[2].c_str(), row[3].as<int>()};
    v.steps = steps.size();

    std::optional<step_walk> walk;
    key walking;
    const auto finish = [&] {
        if (walk)
            walk->end(steps[walking]);
    };
    for (const auto& row :
         tx.exec("SELECT task_id::text, idx, attempt, from_state::text, to_state::text, event::text, most_recent "
                 "FROM tasker.step_transitions ORDER BY task_id, idx, seq")) {
        key k{row[0].c_str(), row[1].as<int>()};
        if (k != walking || !walk) {
            finish();
            walking = k;
            walk.emplace(v, "task " + k.first + " step " + std::to_string(k.second));
            steps[walking].seen_history = true;
        }
        walk->row(row[3].c_str(), row[5].c_str(), row[4].c_str(), row[2].as<int>(), row[6].as<bool>());
    }
    finish();
    for (const auto& [k, s] : steps)
        if (!s.seen_history)
            violation(v, "task " + k.first + " step " + std::to_string(k.second) + " is " + s.state +
                             " and has no history");
}

/// Messages of every pgmq queue, waiting or archived, read more than once.
void count_redeliveries(pqxx::transaction_base& tx, verification& v)
{
    for (const auto& queue : tx.exec("SELECT queue_name FROM pgmq.meta")) {
        for (const char* prefix : {"q_", "a_"}) {
            const auto table = "pgmq." + tx.quote_name(prefix + std::string(queue[0].c_str()));
            v.redeliveries += tx.exec1("SELECT coalesce(sum(read_ct - 1), 0) FROM " + table + " WHERE read_ct > 1")[0]
                                  .as<std::size_t>();
        }
    }
}

} // namespace

std::string verification::summary() const
{
    std::ostringstream out;
    out << tasks << " tasks, " << steps << " steps: " << attempts << " attempts, " << failures << " failed, " << retries
        << " retries, " << redeliveries << " redeliveries; ";
    if (ok())
        out << "every task complete, no step succeeded twice, every history legal";
    else
        out << violation_count << " violations";
    return out.str();
}

tasker::result<verification> verify_database(const std::string& url)
{
    verification v;
    try {
        pqxx::connection c(url);
        // One snapshot for every table: what is read is a state the cluster was in.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
        check_tasks(tx, v);
        check_steps(tx, v);
        count_redeliveries(tx, v);
    } catch (const pqxx::broken_connection& e) {
        return tasker::error{tasker::errc::backend_unavailable, std::string("verify: ") + e.what()};
    } catch (const std::exception& e) {
        return tasker::error{tasker::errc::database_error, std::string("verify: ") + e.what()};
    }
    if (v.tasks == 0)
        violation(v, "the database holds no tasks");
    return v;
}

} // namespace examples
