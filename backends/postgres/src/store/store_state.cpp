#include "store/store_state.hpp"

#include <tasker/detail/seed_or_random.hpp>

#include <algorithm>
#include <string>

namespace tasker::postgres {

using namespace detail;

store::impl::impl(store_config c)
    : config(std::move(c)), pool(config.url, std::max<std::size_t>(config.threads, 1), std::string(pq::index_scan_session_settings)),
      orchestration_origin{"orchestrator:" + (config.actor.empty() ? process_name() : config.actor), {}, nullptr},
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
        s.created = row[14].as<bool>();
        if (!row[15].is_null())
            s.definition = row[15].as<std::uint32_t>();
        if (!row[16].is_null())
            r.name = row[16].c_str();
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

void store::impl::listen_for_finished()
{
    std::lock_guard lock(listener_mutex);
    if (finish_listener)
        return;
    auto heard = [this](const std::string&, const std::string& payload) {
        std::vector<task_id> ids;
        for (std::size_t at = 0; at < payload.size();) {
            const auto end = std::min(payload.find(',', at), payload.size());
            if (auto id = uuid::parse(std::string_view(payload).substr(at, end - at)))
                ids.push_back(*id);
            at = end + 1;
        }
        finished.finished(ids);
    };
    // Subscribed, or the connection broke: a task may have ended unheard, everyone looks again.
    auto look_again = [this] { finished.look_again(); };
    finish_listener = std::make_unique<pq::listener>(
        config.url,
        pq::listener::callbacks{.notified = heard,
                                .subscribed = [look_again](const std::vector<std::string>&) { look_again(); },
                                .lost = look_again});
    finish_listener->listen(finished_channel);
}

} // namespace tasker::postgres
