// Listing tasks: one statement per page, keyset-paged on the task id (see
// migrations/0011_task_requests.sql for the indexes it walks).
#include "store/store_state.hpp"

#include <tasker/core/task_listing.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tasker::postgres {

using namespace detail;

namespace {

constexpr const char* columns =
    "t.id, t.template_id, t.state, (extract(epoch FROM t.created_at) * 1000000)::bigint AS created_us, "
    "(extract(epoch FROM t.updated_at) * 1000000)::bigint AS updated_us, t.correlation_id, t.parent_correlation_id, "
    "t.initiator, t.source_system, t.reason, array_to_json(t.tags)::text AS tags, t.priority";

// A time bound in whole microseconds, as the database keeps times: rounded up, so that
// `created_at >= bound` and `created_at < bound` say what they say of the exact time.
std::string bound_us(time_point t)
{
    return std::to_string(std::chrono::ceil<std::chrono::microseconds>(t.time_since_epoch()).count());
}

/// A listing's statement and its parameters. The statement has a clause for each filter that is
/// set, and nothing for the others, so that the planner sees which index leads to the rows (a
/// clause like `($1 = '' OR col = $1)` hides a subquery from it even when $1 is known);
/// every value is a parameter, never part of the text. It is sent unnamed, so PostgreSQL plans
/// it for the values at hand each time.
///
/// Every shape reads rows in id order from an index and stops at the page's end: the tasks by
/// id, or the index of the one filter the planner finds most selective ((state, id),
/// (initiator, id), ... and (tag, task_id) of tasker.task_tags), the others checked on the way.
/// A filter on the template (namespace, name) reads each matching template's tasks by
/// (template_id, id), at most a page from each, and merges them: a page costs at most the
/// number of matching templates times its size, however many tasks there are.
struct listing_statement {
    std::string sql;
    std::vector<std::string> params;

    listing_statement(const task_filter& f, const listing_query& q)
    {
        std::vector<std::string> where;
        const auto text_filter = [&](const char* column, const std::optional<std::string>& value) {
            if (value) {
                const auto p = param(*value);
                // `<> ''` lets the column's partial index serve.
                where.push_back(std::string("t.") + column + " = " + p + " AND t." + column + " <> ''");
            }
        };
        if (f.state)
            where.push_back("t.state = " + param(name_of(*f.state)) + "::tasker.task_state");
        text_filter("initiator", f.initiator);
        text_filter("source_system", f.source_system);
        text_filter("correlation_id", f.correlation_id);
        text_filter("parent_correlation_id", f.parent_correlation_id);
        if (f.created_after)
            where.push_back("t.created_at >= to_timestamp(0) + " + param(bound_us(*f.created_after)) +
                            "::bigint * interval '1 microsecond'");
        if (f.created_before)
            where.push_back("t.created_at < to_timestamp(0) + " + param(bound_us(*f.created_before)) +
                            "::bigint * interval '1 microsecond'");
        std::string from = "tasker.tasks AS t";
        if (f.tag)
            from += " JOIN tasker.task_tags AS g ON g.task_id = t.id AND g.tag = " + param(*f.tag);
        if (q.below) {
            const auto p = param(q.below->to_string());
            where.push_back("t.id < " + p + "::uuid");
            if (f.tag) // the planner does not carry the inequality over the join by itself
                where.push_back("g.task_id < " + p + "::uuid");
        }
        const auto limit = param(std::to_string(q.fetch));
        const bool by_template = f.namespace_name || f.template_name;
        if (by_template)
            where.push_back("t.template_id = tp.id");
        std::string inner = std::string("SELECT ") + columns + " FROM " + from;
        for (std::size_t i = 0; i < where.size(); ++i)
            inner += (i == 0 ? " WHERE " : " AND ") + where[i];
        inner += " ORDER BY t.id DESC LIMIT " + limit + "::bigint";
        if (!by_template) {
            sql = std::move(inner);
            return;
        }
        std::vector<std::string> templates;
        if (f.namespace_name)
            templates.push_back("tp.namespace_name = " + param(*f.namespace_name));
        if (f.template_name)
            templates.push_back("tp.name = " + param(*f.template_name));
        sql = "SELECT x.* FROM tasker.templates AS tp CROSS JOIN LATERAL (" + inner + ") AS x WHERE " + templates[0];
        if (templates.size() > 1)
            sql += " AND " + templates[1];
        sql += " ORDER BY x.id DESC LIMIT " + limit + "::bigint";
    }

private:
    std::string param(std::string value)
    {
        params.push_back(std::move(value));
        return "$" + std::to_string(params.size());
    }
};

} // namespace

awaitable<result<task_page>> store::list_tasks(task_filter filter)
{
    auto q = check_filter(filter);
    if (!q)
        co_return q.error();
    auto op = [impl = impl_.get(), filter = std::move(filter), q = std::move(*q)](pqxx::connection& c) -> result<task_page> {
        // Template rows never change: the listing and the template reads need no common snapshot.
        pqxx::nontransaction tx(c);
        const listing_statement statement(filter, q);
        const auto rows = tx.exec_params(statement.sql, pqxx::prepare::make_dynamic_params(statement.params));
        std::vector<std::int64_t> template_ids;
        for (const auto& row : rows)
            template_ids.push_back(row[1].as<std::int64_t>());
        if (auto cached = impl->cache_templates(tx, std::move(template_ids)); !cached)
            return cached.error();
        std::vector<task_summary> out;
        out.reserve(rows.size());
        for (const auto& row : rows) {
            auto tmpl = impl->template_by_id(tx, row[1].as<std::int64_t>());
            if (!tmpl)
                return tmpl.error();
            out.push_back({parse_uuid(row[0]), (*tmpl)->key(), task_state_from_string(row[2].c_str()).value(),
                           from_us(row[3].as<std::int64_t>()), from_us(row[4].as<std::int64_t>()), row[5].c_str(),
                           row[6].c_str(), row[7].c_str(), row[8].c_str(), row[9].c_str(), parse_tags(row[10]),
                           row[11].as<int>()});
        }
        return make_page(std::move(out), filter, q);
    };
    co_return co_await impl_->run<task_page>(std::move(op), "list_tasks");
}

} // namespace tasker::postgres
