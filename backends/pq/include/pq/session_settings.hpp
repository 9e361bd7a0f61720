#pragma once
// Internal to tasker's PostgreSQL backends (never installed): settings a connection runs with
// for its whole life (see `pool`'s `session`).

#include <string_view>

namespace tasker::pq {

/// SQL setting a session up for statements that each find their rows by key: no sequential or
/// bitmap scans, hash or merge joins unless nothing else can run a query ("off" makes them the
/// last resort, it does not forbid them), and no parallel plans. A prepared statement keeps the
/// plan it got first, and a plan chosen while the tables were small or their statistics young
/// (a whole-table scan, parallel workers) would otherwise stay as they grow.
inline constexpr std::string_view index_scan_session_settings =
    "SET enable_seqscan = off; SET enable_bitmapscan = off; "
    "SET enable_hashjoin = off; SET enable_mergejoin = off; "
    "SET max_parallel_workers_per_gather = 0";

} // namespace tasker::pq
