#include "pq/pgmq_tables.hpp"

#include <tasker/messaging/message.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

namespace tasker::pq {

int whole_seconds(duration d, int at_least)
{
    const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
    return static_cast<int>(std::clamp<long long>(s, at_least, 365LL * 24 * 3600));
}

time_point from_epoch_seconds(double s)
{
    return time_point{std::chrono::duration_cast<duration>(std::chrono::duration<double>(s))};
}

std::string pgmq_table(const std::string& queue, std::string_view kind)
{
    return "pgmq.\"" + std::string(kind) + "_" + queue + "\"";
}

std::string pgmq_statement(std::string_view what, const std::string& queue)
{
    static constexpr std::string_view prefix = "tq_";
    static constexpr std::size_t longest_what = 7; // "archive"
    static_assert(prefix.size() + longest_what + 1 + queue_name::max_length <= 63);
    return std::string(prefix) + std::string(what) + "_" + queue;
}

namespace {

/// The start of a statement's WITH clause: `fast`, the asynchronous-commit setting, if asked.
std::string with_clause(bool async_commit)
{
    return async_commit ? std::string("with fast as (select ") + async_commit_setting + "), " : "with ";
}

} // namespace

std::string pgmq_read_sql(const std::string& queue, bool async_commit)
{
    const auto table = pgmq_table(queue, "q");
    return with_clause(async_commit) +
           "taken as (update " + table + " as q set vt = clock_timestamp() + make_interval(secs => $2), "
           "read_ct = q.read_ct + 1 "
           // By key, not a join: the plan of a prepared statement is made once, on what may
           // still be an empty table, and a join planned then scans the whole queue later.
           "where q.msg_id = any(array(select msg_id from " + table + " where vt <= clock_timestamp() "
           "order by msg_id limit $1 for update skip locked)) "
           "returning q.msg_id, q.read_ct, q.enqueued_at, q.message) "
           "select msg_id, read_ct, extract(epoch from enqueued_at)::float8, message::text from taken" +
           (async_commit ? ", fast" : "") + " order by msg_id";
}

std::string pgmq_archive_sql(const std::string& queue, bool async_commit)
{
    return with_clause(async_commit) +
           "taken as (delete from " + pgmq_table(queue, "q") + " where msg_id = any($1::bigint[]) "
           "returning msg_id, read_ct, enqueued_at, vt, message, headers) "
           "insert into " + pgmq_table(queue, "a") + " (msg_id, read_ct, enqueued_at, vt, message, headers) "
           "select msg_id, read_ct, enqueued_at, vt, message, headers from taken" + (async_commit ? ", fast" : "");
}

std::vector<delivery> deliveries_from_rows(const pqxx::result& rows, std::vector<delivery_id>& foreign)
{
    std::vector<delivery> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        const auto id = row[0].as<std::uint64_t>();
        auto parsed = parse_json(row[3].c_str());
        auto m = parsed ? message_from_json(*parsed) : result<message>(parsed.error());
        if (!m) {
            foreign.push_back(id);
            continue;
        }
        delivery d;
        d.id = id;
        d.read_count = row[1].as<std::uint32_t>();
        d.enqueued_at = from_epoch_seconds(row[2].as<double>());
        d.msg = std::move(*m);
        out.push_back(std::move(d));
    }
    return out;
}

std::string pgmq_send_sql(const std::string& queue)
{
    return "with sent as (insert into " + pgmq_table(queue, "q") + " (vt, message) "
           "select clock_timestamp() + greatest(coalesce(m.delay_us, 0), 0) * interval '1 microsecond', m.body "
           "from jsonb_to_recordset($1::jsonb) as m(ord integer, body jsonb, delay_us bigint) "
           "order by m.ord returning 1) "
           "select pg_notify('tasker_" + queue + "', '') from (select count(*) from sent) as n";
}

} // namespace tasker::pq
