#include "store/store_state.hpp"

#include <tasker/core/analytics.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <chrono>

// Analytics (`task_store` requirement 14) in two statements of one read-only snapshot: the
// counts (tasks of the window per template and state, every task per state), then the sample
// (the newest finished tasks of each template, their durations, their steps' attempt times and
// retries). Percentiles and rankings are the core's (`template_tally`), as in memory.
//
// The window is read through the indexes on ids: task ids are uuid v7, whose first 48 bits are
// the Unix milliseconds of the host that made the id, just before the insert that stamps
// `created_at` with the server's clock. So the tasks of [from, to) are among the ids made from
// `from - id_lead` to `to + clock_skew`, a range (template_id, id) and the primary key hand over
// in order, and `created_at` then picks them exactly. No index of its own: none costs the hot
// path anything.

namespace tasker::postgres {

using namespace detail;

namespace {

/// How long before its insert a task's id may have been made (a busy pool, a retried batch).
constexpr auto id_lead = std::chrono::minutes(1);
/// How far the clock of a host making ids may be from the database server's.
constexpr auto clock_skew = std::chrono::seconds(5);

std::string_view kind_of(const pqxx::row& row)
{
    return row[0].c_str();
}

// $1 namespace ('' every one), $2 name ('' every one), $3/$4 the id range, $5/$6 the window
// (microseconds). Rows: ('w', template, state, count) per template and state of the window,
// ('s', 0, state, count) per state of every task, ('n', 0, '', now in microseconds).
constexpr statement counts{
    "tasker_analytics_counts",
    "SELECT 'w', t.template_id, t.state::text, count(*) "
    "FROM tasker.templates AS tp JOIN tasker.tasks AS t ON t.template_id = tp.id "
    "WHERE ($1 = '' OR tp.namespace_name = $1) AND ($2 = '' OR tp.name = $2) "
    "AND t.id >= $3::uuid AND t.id < $4::uuid "
    "AND t.created_at >= timestamptz 'epoch' + $5::bigint * interval '1 microsecond' "
    "AND t.created_at < timestamptz 'epoch' + $6::bigint * interval '1 microsecond' "
    "GROUP BY t.template_id, t.state "
    "UNION ALL SELECT 's', 0, t.state::text, count(*) FROM tasker.tasks AS t GROUP BY t.state "
    "UNION ALL SELECT 'n', 0, '', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"};

// $1 the templates (bigint[]), $2..$5 as $3..$6 above, $6 the sample's size. Rows:
// ('d', task, template, duration in microseconds) per sampled task: created to the transition
// into its final state; ('a', task, template step, microseconds) per attempt of a step of a
// sampled task: its claim to the step's next transition; ('r', task, template step, retries)
// per step of a sampled task attempted more than once (batch workers under the step they run).
constexpr statement sample{
    "tasker_analytics_sample",
    "WITH sampled AS MATERIALIZED ("
    " SELECT s.id, s.template_id, s.created_at FROM unnest($1::bigint[]) AS tp(id) CROSS JOIN LATERAL ("
    "  SELECT t.id, t.template_id, t.created_at FROM tasker.tasks AS t "
    "  WHERE t.template_id = tp.id AND t.id >= $2::uuid AND t.id < $3::uuid "
    "  AND t.created_at >= timestamptz 'epoch' + $4::bigint * interval '1 microsecond' "
    "  AND t.created_at < timestamptz 'epoch' + $5::bigint * interval '1 microsecond' "
    "  AND t.state IN ('complete', 'error', 'cancelled', 'resolved_manually') "
    "  ORDER BY t.id DESC LIMIT $6) AS s), "
    "ids AS (SELECT array_agg(id) AS all_ids FROM sampled) "
    "SELECT 'd', s.id, s.template_id, (extract(epoch FROM h.at - s.created_at) * 1000000)::bigint "
    "FROM sampled AS s JOIN tasker.task_transitions AS h ON h.task_id = s.id AND h.most_recent "
    "UNION ALL "
    "SELECT 'a', x.task_id, coalesce(st.definition, x.idx), (extract(epoch FROM x.next_at - x.at) * 1000000)::bigint "
    "FROM (SELECT h.task_id, h.idx, h.at, h.to_state, "
    "      lead(h.at) OVER (PARTITION BY h.task_id, h.idx ORDER BY h.seq) AS next_at "
    "      FROM tasker.step_transitions AS h WHERE h.task_id = ANY((SELECT all_ids FROM ids)::uuid[])) AS x "
    "JOIN tasker.steps AS st ON st.task_id = x.task_id AND st.idx = x.idx "
    "WHERE x.to_state = 'in_progress' AND x.next_at IS NOT NULL "
    "UNION ALL "
    "SELECT 'r', st.task_id, coalesce(st.definition, st.idx), sum(st.attempts - 1)::bigint "
    "FROM tasker.steps AS st WHERE st.task_id = ANY((SELECT all_ids FROM ids)::uuid[]) AND st.attempts > 1 "
    "GROUP BY st.task_id, coalesce(st.definition, st.idx)"};

} // namespace

awaitable<result<task_analytics>> store::analytics(analytics_query q)
{
    if (auto r = check_analytics_query(q); !r)
        co_return r.error();
    auto op = [impl = impl_.get(), q = std::move(q)](pqxx::connection& c) -> result<task_analytics> {
        // One snapshot: the sample is of the tasks the counts counted.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
        // The first ids of those milliseconds (every other bit of a version-7 id at its lowest).
        const auto low = uuid::v7(q.from - id_lead - clock_skew, 0, 0).to_string();
        const auto high = uuid::v7(q.to + clock_skew + std::chrono::milliseconds(1), 0, 0).to_string();
        const auto window_from = to_us(q.from.time_since_epoch());
        const auto window_to = to_us(q.to.time_since_epoch());

        task_state_counts system;
        time_point as_of{};
        std::vector<std::int64_t> template_ids;
        std::vector<template_tally> tallies;
        boost::unordered_flat_map<std::int64_t, std::size_t> tally_of;
        std::vector<std::int64_t> with_finished;
        const auto rows = exec(tx, counts, q.namespace_name, q.name, low, high, window_from, window_to);
        for (const auto& row : rows)
            if (kind_of(row) == "w")
                template_ids.push_back(row[1].as<std::int64_t>());
        if (auto cached = impl->cache_templates(tx, template_ids); !cached)
            return cached.error();
        for (const auto& row : rows) {
            const auto kind = kind_of(row);
            if (kind == "n") {
                as_of = from_us(row[3].as<std::int64_t>());
                continue;
            }
            const auto state = task_state_from_string(row[2].c_str());
            if (!state)
                continue;
            const auto n = row[3].as<std::uint64_t>();
            if (kind == "s") {
                system.by[static_cast<std::size_t>(*state)] = n;
                continue;
            }
            const auto id = row[1].as<std::int64_t>();
            auto [it, fresh] = tally_of.try_emplace(id, tallies.size());
            if (fresh) {
                auto tmpl = impl->template_by_id(tx, id);
                if (!tmpl)
                    return tmpl.error();
                tallies.emplace_back((*tmpl)->key());
            }
            tallies[it->second].started(*state, n);
            if (is_terminal(*state))
                with_finished.push_back(id);
        }
        std::sort(with_finished.begin(), with_finished.end());
        with_finished.erase(std::unique(with_finished.begin(), with_finished.end()), with_finished.end());

        if (!with_finished.empty()) {
            // Each sampled task's template, from its 'd' row (which comes first: a task's 'a'
            // and 'r' rows name only the task).
            boost::unordered_flat_map<uuid, std::int64_t, std::hash<uuid>> template_of;
            const auto sampled = exec(tx, sample, pq::array_literal(with_finished), low, high, window_from, window_to,
                                   static_cast<long long>(q.sample));
            for (const auto& row : sampled)
                if (kind_of(row) == "d")
                    template_of.emplace(parse_uuid(row[1]), row[2].as<std::int64_t>());
            for (const auto& row : sampled) {
                const auto kind = kind_of(row);
                const auto value = row[3].as<std::int64_t>();
                if (kind == "d") {
                    tallies[tally_of.at(row[2].as<std::int64_t>())].sampled_task(std::chrono::microseconds(value));
                    continue;
                }
                const auto found = template_of.find(parse_uuid(row[1]));
                if (found == template_of.end())
                    continue;
                auto tmpl = impl->template_by_id(tx, found->second);
                if (!tmpl)
                    return tmpl.error();
                const auto step = row[2].as<std::size_t>();
                if (step >= (*tmpl)->steps.size())
                    continue;
                auto& tally = tallies[tally_of.at(found->second)];
                if (kind == "a")
                    tally.attempt((*tmpl)->steps[step].name, std::chrono::microseconds(value));
                else
                    tally.retried((*tmpl)->steps[step].name, static_cast<std::uint64_t>(value));
            }
        }
        tx.commit();
        return assemble_analytics(q, as_of, std::move(tallies), system);
    };
    co_return co_await impl_->run<task_analytics>(std::move(op), "analytics");
}

} // namespace tasker::postgres
