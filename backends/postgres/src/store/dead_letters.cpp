#include "store/store_state.hpp"

#include <tasker/core/dead_letter_rules.hpp>

#include <boost/json/serialize.hpp>

// The dead-letter queue as an investigation tracker: pages of entries in either order, a
// task's latest entry, counts, and investigators' updates (read under a row lock, changed by
// the core's rule, written back).

namespace tasker::postgres {

using namespace detail;

namespace {

#define TASKER_DEAD_LETTER_COLUMNS                                                                                     \
    "d.id, d.task_id, d.template_id, d.cause::text, d.reason, d.failed_steps::text, "                                  \
    "(extract(epoch FROM d.at) * 1000000)::bigint, d.snapshot::text, d.priority, d.status::text, d.notes::text, "      \
    "d.resolved_by, (extract(epoch FROM d.resolved_at) * 1000000)::bigint, "                                          \
    "(extract(epoch FROM d.updated_at) * 1000000)::bigint "

constexpr statement newest_page{
    "tasker_dead_letters_newest",
    "SELECT " TASKER_DEAD_LETTER_COLUMNS
    "FROM tasker.dead_letters AS d JOIN tasker.templates AS tp ON tp.id = d.template_id "
    "WHERE ($1 = '' OR d.status::text = $1) AND ($2 = '' OR d.cause::text = $2) AND ($3 = '' OR tp.namespace_name = $3) "
    "AND ($4::bigint IS NULL OR d.id < $4::bigint) ORDER BY d.id DESC LIMIT $5"};

constexpr statement investigation_page{
    "tasker_dead_letters_investigation",
    "SELECT " TASKER_DEAD_LETTER_COLUMNS
    "FROM tasker.dead_letters AS d JOIN tasker.templates AS tp ON tp.id = d.template_id "
    "WHERE d.status IN ('pending', 'investigating') AND ($1 = '' OR d.status::text = $1) "
    "AND ($2 = '' OR d.cause::text = $2) AND ($3 = '' OR tp.namespace_name = $3) "
    "AND ($4::bigint IS NULL OR d.priority < $5 OR (d.priority = $5 AND d.id > $4::bigint)) "
    "ORDER BY d.priority DESC, d.id LIMIT $6"};

constexpr statement latest_of_task{
    "tasker_dead_letter_of",
    "SELECT " TASKER_DEAD_LETTER_COLUMNS "FROM tasker.dead_letters AS d WHERE d.task_id = $1::uuid "
    "ORDER BY d.id DESC LIMIT 1"};

constexpr statement counts{"tasker_dead_letter_counts",
                           "SELECT cause::text, status::text, count(*) FROM tasker.dead_letters GROUP BY 1, 2"};

constexpr statement lock_entry{"tasker_dead_letter_lock",
                               "SELECT " TASKER_DEAD_LETTER_COLUMNS
                               "FROM tasker.dead_letters AS d WHERE d.id = $1 FOR UPDATE"};

constexpr statement write_entry{
    "tasker_dead_letter_write",
    "UPDATE tasker.dead_letters SET status = $2::text::tasker.dead_letter_status, notes = $3::jsonb, "
    "resolved_by = NULLIF($4, ''), "
    "resolved_at = CASE WHEN $5::bigint IS NULL THEN NULL ELSE timestamptz 'epoch' + $5::bigint * interval '1 microsecond' END, "
    "updated_at = timestamptz 'epoch' + $6::bigint * interval '1 microsecond' WHERE id = $1"};

constexpr statement server_now{"tasker_now_us", "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"};

#undef TASKER_DEAD_LETTER_COLUMNS

json::array notes_json(const std::vector<dead_letter_note>& notes)
{
    json::array out;
    for (const auto& n : notes)
        out.push_back(json::object{{"at_us", to_us(n.at.time_since_epoch())}, {"author", n.author}, {"text", n.text}});
    return out;
}

// `Impl` is the store's (private) state, deduced where it is reachable.
template <class Impl>
result<dead_letter> entry_of(Impl& impl, pqxx::transaction_base& tx, const pqxx::row& row)
{
    dead_letter e;
    e.id = row[0].as<std::uint64_t>();
    e.task = parse_uuid(row[1]);
    if (!row[2].is_null()) {
        auto tmpl = impl.template_by_id(tx, row[2].as<std::int64_t>());
        if (!tmpl)
            return tmpl.error();
        e.key = (*tmpl)->key();
    }
    e.cause = dead_letter_cause_from_string(row[3].c_str()).value();
    e.reason = row[4].c_str();
    if (const auto steps = parse_json_field(row[5]); steps && steps->is_array())
        for (const auto& s : steps->as_array())
            if (s.is_string())
                e.failed_steps.emplace_back(s.as_string());
    e.at = from_us(row[6].as<std::int64_t>());
    e.snapshot = parse_json_field(row[7]);
    e.priority = row[8].as<std::int32_t>();
    e.status = dead_letter_status_from_string(row[9].c_str()).value();
    if (const auto notes = parse_json_field(row[10]); notes && notes->is_array())
        for (const auto& n : notes->as_array()) {
            const auto& o = n.as_object();
            e.notes.push_back({from_us(o.at("at_us").to_number<std::int64_t>()), std::string(o.at("author").as_string()),
                               std::string(o.at("text").as_string())});
        }
    if (!row[11].is_null())
        e.resolved_by = row[11].c_str();
    if (!row[12].is_null())
        e.resolved_at = from_us(row[12].as<std::int64_t>());
    e.updated_at = from_us(row[13].as<std::int64_t>());
    return e;
}

template <class Impl>
result<std::vector<dead_letter>> entries_of(Impl& impl, pqxx::transaction_base& tx, const pqxx::result& rows)
{
    std::vector<std::int64_t> templates;
    for (const auto& row : rows)
        if (!row[2].is_null())
            templates.push_back(row[2].as<std::int64_t>());
    if (auto cached = impl.cache_templates(tx, std::move(templates)); !cached)
        return cached.error();
    std::vector<dead_letter> out;
    for (const auto& row : rows) {
        auto e = entry_of(impl, tx, row);
        if (!e)
            return e.error();
        out.push_back(std::move(*e));
    }
    return out;
}

} // namespace

awaitable<result<dead_letter_page>> store::dead_letters(dead_letter_filter f)
{
    if (auto r = check_dead_letter_filter(f); !r)
        co_return r.error();
    auto op = [impl = impl_.get(), f = std::move(f)](pqxx::connection& c) -> result<dead_letter_page> {
        pqxx::read_transaction tx(c);
        std::optional<dead_letter_position> after;
        if (!f.cursor.empty())
            after = parse_cursor(f.cursor, f.order).value();
        const std::string status = f.status ? std::string(to_string(*f.status)) : std::string();
        const std::string cause = f.cause ? std::string(to_string(*f.cause)) : std::string();
        const std::string ns = f.namespace_name.value_or("");
        const std::optional<long long> after_id =
            after ? std::optional<long long>(static_cast<long long>(after->id)) : std::nullopt;
        const auto want = static_cast<long long>(f.limit + 1); // one more says whether a page follows
        const auto rows = f.order == dead_letter_order::newest
                              ? exec(tx, newest_page, status, cause, ns, after_id, want)
                              : exec(tx, investigation_page, status, cause, ns, after_id,
                                     after ? after->priority : 0, want);
        auto entries = entries_of(*impl, tx, rows);
        if (!entries)
            return entries.error();
        dead_letter_page page;
        page.entries = std::move(*entries);
        if (page.entries.size() > f.limit) {
            page.entries.resize(f.limit);
            page.next_cursor = cursor_after(page.entries.back(), f.order);
        }
        return page;
    };
    co_return co_await impl_->run<dead_letter_page>(std::move(op), "dead_letters");
}

awaitable<result<dead_letter>> store::dead_letter_of(task_id id)
{
    auto op = [impl = impl_.get(), id](pqxx::connection& c) -> result<dead_letter> {
        pqxx::read_transaction tx(c);
        const auto rows = exec(tx, latest_of_task, id.to_string());
        if (rows.empty())
            return error{errc::task_not_found, "task " + id.to_string() + " has no dead-letter entry"};
        auto entries = entries_of(*impl, tx, rows);
        if (!entries)
            return entries.error();
        return std::move(entries->front());
    };
    co_return co_await impl_->run<dead_letter>(std::move(op), "dead_letter_of");
}

awaitable<result<tasker::dead_letter_counts>> store::dead_letter_counts()
{
    auto op = [](pqxx::connection& c) -> result<tasker::dead_letter_counts> {
        pqxx::read_transaction tx(c);
        tasker::dead_letter_counts out;
        for (const auto& row : exec(tx, counts)) {
            const auto cause = dead_letter_cause_from_string(row[0].c_str());
            const auto status = dead_letter_status_from_string(row[1].c_str());
            if (cause && status)
                out.by[static_cast<std::size_t>(*cause)][static_cast<std::size_t>(*status)] = row[2].as<std::uint64_t>();
        }
        return out;
    };
    co_return co_await impl_->run<tasker::dead_letter_counts>(std::move(op), "dead_letter_counts");
}

awaitable<result<dead_letter>> store::update_dead_letter(std::uint64_t entry, dead_letter_update u)
{
    if (auto r = check_dead_letter_update(u); !r)
        co_return r.error();
    auto op = [impl = impl_.get(), entry, u = std::move(u)](pqxx::connection& c) -> result<dead_letter> {
        pqxx::work tx(c);
        const auto rows = exec(tx, lock_entry, static_cast<long long>(entry));
        if (rows.empty())
            return error{errc::task_not_found, "no dead-letter entry " + std::to_string(entry)};
        auto e = entry_of(*impl, tx, rows[0]);
        if (!e)
            return e.error();
        const auto now_us = exec(tx, server_now)[0][0].as<std::int64_t>();
        apply_dead_letter_update(*e, u, from_us(now_us));
        const std::optional<long long> resolved_at =
            e->resolved_at ? std::optional<long long>(to_us(e->resolved_at->time_since_epoch())) : std::nullopt;
        exec(tx, write_entry, static_cast<long long>(entry), std::string(to_string(e->status)),
             json::serialize(notes_json(e->notes)), e->resolved_by, resolved_at, static_cast<long long>(now_us));
        tx.commit();
        return std::move(*e);
    };
    co_return co_await impl_->run<dead_letter>(std::move(op), "update_dead_letter");
}

} // namespace tasker::postgres
