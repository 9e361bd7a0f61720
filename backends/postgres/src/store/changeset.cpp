#include "store/changeset.hpp"

#include "pq/pgmq_tables.hpp"

#include <tasker/core/dead_letter_reason.hpp>
#include <tasker/core/dead_letter_rules.hpp>
#include <tasker/core/replay_changes.hpp>
#include <tasker/state/step_machine.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>
#include <string>

namespace tasker::postgres::detail {

namespace {

json::value failure_json(const std::optional<step_failure>& f, std::string_view key)
{
    if (!f)
        return nullptr;
    if (key == "error_kind")
        return json::string(to_string(f->kind));
    if (key == "error_message")
        return json::string(f->message);
    if (key == "error_attempt")
        return f->attempt;
    if (f->retry_after) // retry_after_us
        return to_us(*f->retry_after);
    return nullptr;
}

} // namespace

void changeset::task_transition(const task_row& t, task_state from, task_state to, task_event e)
{
    transitions_.push_back(json::object{{"ord", ord_++},
                                        {"task", t.id.to_string()},
                                        {"step", nullptr},
                                        {"attempt", nullptr},
                                        {"from", name_of(from)},
                                        {"to", name_of(to)},
                                        {"event", name_of(e)}});
    if (is_terminal(to))
        finished_tasks_.push_back(t.id.to_string());
}

void changeset::step_transition(const task_row& t, std::uint32_t step, step_state from, step_state to, step_event e,
                                const std::string* actor)
{
    json::object o{{"ord", ord_++},
                   {"task", t.id.to_string()},
                   {"step", step},
                   {"attempt", t.status[step].attempts},
                   {"from", name_of(from)},
                   {"to", name_of(to)},
                   {"event", name_of(e)}};
    if (actor)
        o["actor"] = *actor;
    transitions_.push_back(std::move(o));
}

void changeset::send(queue_name q, const message& m, duration delay)
{
    messages_.push_back(json::object{{"ord", static_cast<std::int64_t>(messages_.size())},
                                     {"queue", q.str()},
                                     {"body", tasker::to_json(m)},
                                     {"delay_us", to_us(delay)}});
}

void changeset::dead_letter(const task_row& t, const decision& d)
{
    const auto failure_of = [&](std::uint32_t i) -> const step_failure* {
        return i < t.steps.size() && t.steps[i].failure ? &*t.steps[i].failure : nullptr;
    };
    std::vector<const step_failure*> failures;
    for (auto i : d.failed_steps)
        failures.push_back(failure_of(i));
    const auto names = t.names();
    auto summary = summarize_dead_letter(*t.tmpl, t.status, d.failed_steps, failures, names);
    json::array steps;
    for (const auto& s : summary.failed_steps)
        steps.emplace_back(s);
    dead_letters_.push_back(json::object{
        {"ord", static_cast<std::int64_t>(dead_letters_.size())},
        {"task", t.id.to_string()},
        {"reason", d.cause == dead_letter_cause::staleness ? d.stale_reason : std::move(summary.reason)},
        {"failed_steps", std::move(steps)},
        {"cause", to_string(d.cause)},
        {"snapshot", dead_letter_snapshot(*t.tmpl, t.state, t.status, failure_of, names)}});
}

void changeset::move_step(task_row& t, std::uint32_t step, step_event e, const std::string* actor)
{
    auto& s = t.status[step];
    const step_state from = s.state;
    s.state = step_machine::next(from, e).value(); // callers check `from` first
    t.steps[step].needs_update = true;
    t.needs_update = true;
    step_transition(t, step, from, s.state, e, actor);
}

void changeset::apply_decision(task_row& t, const decision& d)
{
    add_created_steps(d, t.status, [&](const created_step& c) {
        if (c.step >= t.steps.size())
            t.steps.resize(c.step + 1);
        auto& row = t.steps[c.step];
        row.created_now = true;
        row.definition = c.definition;
        if (c.definition != c.step)
            row.name = c.name;
        row.input = c.input;
        created_.push_back(json::object{{"task", t.id.to_string()},
                                        {"step", c.step},
                                        {"definition", c.definition == c.step ? json::value() : json::value(c.definition)},
                                        {"name", c.definition == c.step ? json::value() : json::value(c.name)},
                                        {"input", c.input ? json::value(json::serialize(*c.input)) : json::value()}});
    });
    for (const auto& [i, f] : d.refused_results) {
        t.steps[i].failure = f;
        t.steps[i].set_failure = true;
    }
    replay_changes(
        d, t.status,
        [&](const task_change& c) {
            t.state = c.to;
            task_transition(t, c.from, c.to, c.event);
        },
        [&](const step_change& c) {
            auto& row = t.steps[c.step];
            row.needs_update = true;
            if (clears_failure(c)) {
                row.failure.reset();
                row.set_failure = true;
            }
            step_transition(t, c.step, c.from, c.to, c.event);
        });
    for (const auto& m : d.messages)
        send(m.to == outgoing_queue::worker ? worker_queue(t.tmpl->namespace_name).value() : orchestration_queue(),
             m.msg, m.delay);
    if (d.closes_dead_letter)
        closed_dead_letters_.push_back(json::object{
            {"task", t.id.to_string()}, {"status", to_string(*d.closes_dead_letter)}, {"actor", origin_.actor}});
    if (d.dead_letter)
        dead_letter(t, d);
    if (!d.empty())
        t.needs_update = true;
}

bool changeset::empty() const noexcept
{
    return transitions_.empty() && messages_.empty() && dead_letters_.empty() && closed_dead_letters_.empty() &&
           created_.empty();
}

std::string changeset::created_steps_sql(write_transaction& tx) const
{
    if (created_.empty())
        return {};
    // Before the changes apply: a batch worker's row is inserted, a template step's (there,
    // not created) is marked created. Both are then `pending` with no attempt, which is
    // what the step changes compare against.
    return "INSERT INTO tasker.steps (task_id, idx, state, created, definition, name, input) "
           "SELECT c.task, c.step, 'pending', true, c.definition, c.name, c.input::json "
           "FROM jsonb_to_recordset(" +
           tx.quote(json::serialize(created_)) +
           "::jsonb) AS c(task uuid, step integer, definition integer, name text, input text) "
           "ON CONFLICT (task_id, idx) DO UPDATE SET created = true, input = excluded.input "
           "WHERE NOT tasker.steps.created";
}

std::string changeset::to_json(const std::vector<task_row*>& tasks) const
{
    json::array task_rows;
    json::array step_rows;
    bool failures = false;
    for (const auto* t : tasks) {
        if (!t->needs_update || t->is_new)
            continue;
        task_rows.push_back(json::object{
            {"id", t->id.to_string()}, {"from", name_of(t->read_state)}, {"to", name_of(t->state)}});
        for (std::uint32_t i = 0; i < t->steps.size(); ++i) {
            const auto& row = t->steps[i];
            if (!row.needs_update)
                continue;
            const auto& s = t->status[i];
            json::object o{{"task", t->id.to_string()},
                           {"step", i},
                           {"from", name_of(row.read_state)},
                           {"from_attempts", row.read_attempts},
                           {"to", name_of(s.state)},
                           {"attempts", s.attempts},
                           {"set_result", row.set_result},
                           {"set_failure", row.set_failure}};
            if (row.new_lease_us) {
                o["lease_us"] = *row.new_lease_us;
                o["owner"] = row.lease_owner.is_nil() ? json::value(nullptr) : json::value(row.lease_owner.to_string());
            }
            if (row.set_result && row.result)
                o["result_text"] = json::serialize(*row.result); // text: a jsonb number would change type
            if (row.set_failure) {
                for (const char* key : {"error_kind", "error_message", "error_attempt", "retry_after_us"})
                    o[key] = failure_json(row.failure, key);
                failures = failures || row.failure.has_value();
            }
            step_rows.push_back(std::move(o));
        }
    }
    // The last transition of each task and of each step becomes its current history row.
    json::array transitions = transitions_;
    std::set<std::pair<std::string, std::int64_t>> seen; // (task, step or -1)
    for (auto it = transitions.rbegin(); it != transitions.rend(); ++it) {
        auto& o = it->as_object();
        const auto& step = o.at("step");
        const bool last =
            seen.emplace(std::string(o.at("task").as_string()), step.is_null() ? -1 : step.to_number<std::int64_t>()).second;
        o["current"] = last;
    }
    json::object out{{"now_us", now_us_},
                     {"route", route_ == message_route::outbox ? "outbox" : "pgmq"},
                     {"tasks", std::move(task_rows)},
                     {"steps", std::move(step_rows)},
                     {"transitions", std::move(transitions)},
                     {"messages", route_ == message_route::outbox ? messages_ : json::array{}},
                     {"dead_letters", dead_letters_},
                     {"closed_dead_letters", closed_dead_letters_}};
    if (failures)
        out["failures"] = true;
    if (!origin_.actor.empty())
        out["actor"] = origin_.actor;
    if (!origin_.reason.empty())
        out["reason"] = origin_.reason;
    if (origin_.metadata)
        out["metadata"] = *origin_.metadata;
    return json::serialize(out);
}

void changeset::archive(read_messages read)
{
    if (!read.ids.empty())
        archives_.push_back(std::move(read));
}

std::map<std::string, json::array> changeset::pgmq_sends() const
{
    std::map<std::string, json::array> out;
    if (route_ == message_route::pgmq)
        for (const auto& m : messages_)
            out[std::string(m.as_object().at("queue").as_string())].push_back(m);
    return out;
}

void commit(write_transaction& tx, const changeset& cs, const std::vector<task_row*>& tasks)
{
    const bool any_row = std::any_of(tasks.begin(), tasks.end(), [](const task_row* t) { return t->needs_update && !t->is_new; });
    // Literals rather than parameters: the simple protocol carries no parameters, and each
    // statement is a call of something already planned (a function, a prepared statement).
    // Each queue's messages go through a statement naming its table, planned once per
    // connection (dynamic SQL inside tasker.commit_changes would be planned in every commit).
    std::string sql;
    const auto then = [&sql](const std::string& statement) {
        if (!statement.empty())
            sql += (sql.empty() ? "" : "; ") + statement;
    };
    then(cs.created_steps_sql(tx));
    if (!cs.empty() || any_row)
        then("SELECT tasker.commit_changes(" + tx.quote(cs.to_json(tasks)) + "::jsonb)");
    for (const auto& [queue, messages] : cs.pgmq_sends())
        then(pq::execute_prepared_sql(tx.statements(), pq::pgmq_statement("send", queue), pq::pgmq_send_sql(queue)) +
             "(" + tx.quote(json::serialize(messages)) + ")");
    // The tasks that end, named for the clients waiting for them (a payload holds up to 8000
    // bytes: 200 ids of 37 are 7 400).
    const auto& ended = cs.finished_tasks();
    for (std::size_t k = 0; k < ended.size(); k += 200) {
        std::string ids;
        for (std::size_t j = k; j < std::min(ended.size(), k + 200); ++j)
            ids += (ids.empty() ? "" : ",") + ended[j];
        then(std::string("SELECT pg_notify('") + finished_channel + "', '" + ids + "')");
    }
    for (const auto& read : cs.archives())
        then(pq::execute_prepared_sql(tx.statements(), pq::pgmq_statement("shelve", read.queue),
                                      pq::pgmq_archive_sql(read.queue, false)) +
             "(" + tx.quote(pq::array_literal(read.ids)) + ")");
    tx.commit_with(sql);
}

} // namespace tasker::postgres::detail
