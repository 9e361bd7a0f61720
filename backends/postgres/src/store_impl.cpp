#include "store_impl.hpp"

#include "pq/pgmq_tables.hpp"
#include "template_json.hpp"

#include <tasker/detail/seed_or_random.hpp>
#include <tasker/state/step_machine.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

// What the store's operations share: conversions, the change set and its commit, the template
// cache, and the task locks every write starts with.

namespace tasker::postgres {

namespace detail {

time_point from_us(std::int64_t us)
{
    return time_point{std::chrono::duration_cast<duration>(std::chrono::microseconds(us))};
}

std::int64_t to_us(duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

uuid parse_uuid(const pqxx::field& f)
{
    auto id = uuid::parse(f.c_str());
    if (!id)
        throw std::runtime_error("tasker: unreadable uuid '" + std::string(f.c_str()) + "' in column " + f.name());
    return *id;
}

json_ptr parse_json_field(const pqxx::field& f)
{
    if (f.is_null())
        return nullptr;
    auto v = parse_json(std::string_view(f.c_str(), f.size()));
    if (!v)
        throw std::runtime_error("tasker: unreadable JSON from the database: " + v.error().what());
    return make_json(std::move(*v));
}

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

void changeset::step_transition(const task_row& t, std::uint32_t step, step_state from, step_state to, step_event e)
{
    transitions_.push_back(json::object{{"ord", ord_++},
                                        {"task", t.id.to_string()},
                                        {"step", step},
                                        {"attempt", t.status[step].attempts},
                                        {"from", name_of(from)},
                                        {"to", name_of(to)},
                                        {"event", name_of(e)}});
}

void changeset::send(queue_name q, const message& m, duration delay)
{
    messages_.push_back(json::object{{"ord", static_cast<std::int64_t>(messages_.size())},
                                     {"queue", q.str()},
                                     {"body", tasker::to_json(m)},
                                     {"delay_us", to_us(delay)}});
}

void changeset::dead_letter(const task_row& t, std::string reason, const std::vector<std::string>& failed_steps)
{
    json::array steps;
    for (const auto& s : failed_steps)
        steps.emplace_back(s);
    dead_letters_.push_back(json::object{{"ord", static_cast<std::int64_t>(dead_letters_.size())},
                                         {"task", t.id.to_string()},
                                         {"reason", std::move(reason)},
                                         {"failed_steps", std::move(steps)}});
}

void changeset::move_step(task_row& t, std::uint32_t step, step_event e)
{
    auto& s = t.status[step];
    const step_state from = s.state;
    s.state = step_machine::next(from, e).value(); // callers check `from` first
    t.steps[step].changed = true;
    t.touched = true;
    step_transition(t, step, from, s.state, e);
}

void changeset::apply(task_row& t, const decision& d)
{
    // Changes in the order the core made them (their `seq`), as the in-memory store does.
    auto tc = d.task_changes.begin();
    auto sc = d.step_changes.begin();
    while (tc != d.task_changes.end() || sc != d.step_changes.end()) {
        if (sc == d.step_changes.end() || (tc != d.task_changes.end() && tc->seq < sc->seq)) {
            t.state = tc->to;
            task_transition(t, tc->from, tc->to, tc->event);
            ++tc;
        } else {
            tasker::apply(t.status[sc->step], *sc);
            auto& row = t.steps[sc->step];
            row.changed = true;
            if (sc->event == step_event::reset) {
                row.failure.reset();
                row.set_failure = true;
            }
            step_transition(t, sc->step, sc->from, sc->to, sc->event);
            ++sc;
        }
    }
    for (const auto& m : d.messages)
        send(m.to == destination::worker ? worker_queue(t.tmpl->namespace_name).value() : orchestration_queue(), m.msg,
             m.delay);
    if (d.dead_letter) {
        std::string reason;
        std::vector<std::string> failed;
        for (auto i : d.failed_steps) {
            const auto& name = t.tmpl->steps[i].name;
            failed.push_back(name);
            if (!reason.empty())
                reason += "; ";
            reason += "step '" + name + "' failed";
            if (const auto& f = t.steps[i].failure) {
                const auto attempts = t.status[i].attempts;
                reason += " after " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") + " (" +
                          std::string(to_string(f->kind)) + "): " + f->message;
            }
        }
        dead_letter(t, std::move(reason), failed);
    }
    if (!d.empty())
        t.touched = true;
}

bool changeset::empty() const noexcept
{
    return transitions_.empty() && messages_.empty() && dead_letters_.empty();
}

std::string changeset::to_json(const std::vector<task_row*>& tasks) const
{
    json::array task_rows;
    json::array step_rows;
    for (const auto* t : tasks) {
        if (!t->touched || t->is_new)
            continue;
        task_rows.push_back(json::object{
            {"id", t->id.to_string()}, {"from", name_of(t->read_state)}, {"to", name_of(t->state)}});
        for (std::uint32_t i = 0; i < t->steps.size(); ++i) {
            const auto& row = t->steps[i];
            if (!row.changed)
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
            if (row.set_failure)
                for (const char* key : {"error_kind", "error_message", "error_attempt", "retry_after_us"})
                    o[key] = failure_json(row.failure, key);
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
                     {"dead_letters", dead_letters_}};
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

write_transaction::~write_transaction()
{
    if (!open_)
        return;
    try {
        tx_.exec("ROLLBACK");
    } catch (const std::exception&) {
        // The connection broke: the server ends the transaction itself, the pool drops it.
    }
}

pqxx::result write_transaction::begin_with(const std::string& sql)
{
    if (open_)
        return sql.empty() ? pqxx::result{} : tx_.exec(sql);
    open_ = true; // from here on, a failure leaves a transaction to roll back
    return tx_.exec(sql.empty() ? std::string("BEGIN") : "BEGIN; " + sql);
}

void write_transaction::commit_with(const std::string& sql)
{
    tx_.exec(sql.empty() ? std::string("COMMIT") : sql + "; COMMIT");
    open_ = false;
}

void commit(write_transaction& tx, const changeset& cs, const std::vector<task_row*>& tasks)
{
    const bool any_row = std::any_of(tasks.begin(), tasks.end(), [](const task_row* t) { return t->touched && !t->is_new; });
    // Literals rather than parameters: the simple protocol carries no parameters, and each
    // statement is a call of something already planned (a function, a prepared statement).
    // Each queue's messages go through a statement naming its table, planned once per
    // connection: inserting through dynamic SQL in tasker.commit_changes was planned again in
    // every transaction, 0.1 ms of a 0.3 ms orchestration commit (pgbench).
    std::string sql;
    const auto then = [&sql](const std::string& statement) { sql += (sql.empty() ? "" : "; ") + statement; };
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

} // namespace detail

using namespace detail;

namespace {

constexpr statement template_row{"tasker_template_row",
                                 "SELECT definition::text, effective_retry::text FROM tasker.templates WHERE id = $1"};
constexpr statement template_versions{
    "tasker_template_versions",
    "SELECT id, version FROM tasker.templates WHERE namespace_name = $1 AND name = $2 ORDER BY id"};
} // namespace

// ---------------------------------------------------------------------------------------
// The shared state

store::impl::impl(store_config c)
    : config(std::move(c)), pool(config.url, std::max<std::size_t>(config.threads, 1), std::string(pq::key_lookups)),
      id_source(tasker::detail::seed_or_random(config.seed)), jitter(tasker::detail::seed_or_random(config.seed) ^ 0x5bd1e995)
{
}

task_id store::impl::next_id()
{
    std::lock_guard lock(random_mutex);
    return id_source.next(std::chrono::system_clock::now());
}

std::uint64_t store::impl::next_random()
{
    std::lock_guard lock(random_mutex);
    return jitter.random();
}

void store::impl::remember(std::int64_t id, const template_ptr& t)
{
    std::lock_guard lock(templates_mutex);
    templates_by_id.emplace(id, t);
    template_ids.emplace(t->key(), id);
}

result<template_ptr> store::impl::template_by_id(pqxx::transaction_base& tx, std::int64_t id)
{
    {
        std::lock_guard lock(templates_mutex);
        if (auto it = templates_by_id.find(id); it != templates_by_id.end())
            return it->second;
    }
    const auto rows = exec(tx, template_row, id);
    if (rows.empty())
        return error{errc::template_not_found, "no template row " + std::to_string(id)};
    auto t = template_from_json(rows[0][0].c_str(), rows[0][1].c_str());
    if (!t)
        return t.error();
    auto ptr = std::make_shared<const task_template>(std::move(*t));
    remember(id, ptr);
    return ptr;
}

result<void> store::impl::cache_templates(pqxx::transaction_base& tx, std::vector<std::int64_t> wanted)
{
    static constexpr statement rows_of{
        "tasker_template_rows",
        "SELECT id, definition::text, effective_retry::text FROM tasker.templates WHERE id = ANY($1::bigint[])"};
    {
        std::lock_guard lock(templates_mutex);
        std::erase_if(wanted, [&](std::int64_t id) { return templates_by_id.contains(id); });
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    if (wanted.empty())
        return {};
    std::string array = "{";
    for (std::size_t i = 0; i < wanted.size(); ++i)
        array += (i ? "," : "") + std::to_string(wanted[i]);
    array += "}";
    for (const auto& row : exec(tx, rows_of, array)) {
        auto t = template_from_json(row[1].c_str(), row[2].c_str());
        if (!t)
            return t.error();
        remember(row[0].as<std::int64_t>(), std::make_shared<const task_template>(std::move(*t)));
    }
    return {};
}

result<std::pair<std::int64_t, template_ptr>> store::impl::find_template(pqxx::transaction_base& tx,
                                                                          const template_ref& ref)
{
    if (ref.version) {
        std::optional<std::int64_t> known;
        {
            std::lock_guard lock(templates_mutex);
            if (auto it = template_ids.find({ref.namespace_name, ref.name, *ref.version}); it != template_ids.end())
                known = it->second;
        }
        if (known) {
            auto t = template_by_id(tx, *known);
            if (!t)
                return t.error();
            return std::pair{*known, *t};
        }
    }
    // Every version of the template: few rows. The newest is chosen here, by semver
    // precedence, which SQL cannot order by.
    const auto rows = exec(tx, template_versions, ref.namespace_name, ref.name);
    std::optional<std::pair<std::int64_t, semver>> chosen;
    std::string versions;
    for (const auto& row : rows) {
        auto v = semver::parse(row[1].c_str());
        if (!v)
            return error{errc::database_error, "tasker.templates holds an unreadable version: " + v.error().what()};
        versions += (versions.empty() ? "" : ", ") + v->to_string();
        const bool pick = ref.version ? *v == *ref.version : !chosen || *v > chosen->second;
        if (pick)
            chosen = std::pair{row[0].as<std::int64_t>(), *v};
    }
    if (rows.empty())
        return error{errc::template_not_found,
                     "no template '" + ref.name + "' in namespace '" + ref.namespace_name + "'"};
    if (!chosen)
        return error{errc::version_not_found, "template '" + ref.namespace_name + "/" + ref.name + "' has no version " +
                                                  ref.version->to_string() + " (registered: " + versions + ")"};
    auto t = template_by_id(tx, chosen->first);
    if (!t)
        return t.error();
    return std::pair{chosen->first, *t};
}

std::pair<std::vector<task_row>, std::int64_t> store::impl::lock_tasks(write_transaction& tx,
                                                                      const std::vector<task_id>& ids)
{
    std::vector<task_row> out;
    if (ids.empty()) {
        tx.begin_with({});
        return {std::move(out), 0};
    }
    // The ids are uuids printed by uuid::to_string: nothing to escape.
    const auto rows = tx.begin_with("SELECT * FROM tasker.lock_tasks('" + pq::array_literal(ids) + "'::uuid[])");
    std::int64_t now_us = 0;
    for (const auto& row : rows) {
        const auto id = parse_uuid(row[0]);
        if (out.empty() || out.back().id != id) {
            task_row t;
            t.id = id;
            t.template_id = row[1].as<std::int64_t>();
            t.state = t.read_state = task_state_from_string(row[2].c_str()).value();
            t.correlation_id = row[3].c_str();
            out.push_back(std::move(t));
        }
        now_us = row[12].as<std::int64_t>();
        if (row[4].is_null())
            continue; // a task without step rows
        auto& t = out.back();
        step_status s;
        step_row r;
        s.state = r.read_state = step_state_from_string(row[5].c_str()).value();
        s.attempts = r.read_attempts = row[6].as<std::uint32_t>();
        if (!row[7].is_null())
            r.lease_until_us = row[7].as<std::int64_t>();
        if (!row[13].is_null())
            r.lease_owner = parse_uuid(row[13]);
        if (!row[8].is_null()) {
            step_failure f;
            f.kind = error_kind_from_string(row[8].c_str()).value();
            f.message = row[9].is_null() ? std::string() : std::string(row[9].c_str());
            f.attempt = row[10].is_null() ? 0 : row[10].as<std::uint32_t>();
            if (!row[11].is_null())
                f.retry_after = std::chrono::microseconds(row[11].as<std::int64_t>());
            s.last_error = f.kind;
            s.retry_after = f.retry_after;
            r.failure = std::move(f);
        }
        t.status.push_back(s);
        t.steps.push_back(std::move(r));
    }
    return {std::move(out), now_us};
}

result<void> store::impl::load_templates(pqxx::transaction_base& tx, std::vector<task_row*> rows)
{
    std::vector<std::int64_t> ids;
    for (const auto* t : rows)
        ids.push_back(t->template_id);
    if (auto cached = cache_templates(tx, std::move(ids)); !cached)
        return cached;
    for (auto* t : rows) {
        auto tmpl = template_by_id(tx, t->template_id);
        if (!tmpl)
            return tmpl.error();
        if ((*tmpl)->steps.size() != t->steps.size())
            return error{errc::database_error, "task " + t->id.to_string() + " has " +
                                                   std::to_string(t->steps.size()) + " step rows, its template " +
                                                   std::to_string((*tmpl)->steps.size())};
        t->tmpl = std::move(*tmpl);
    }
    return {};
}

} // namespace tasker::postgres
