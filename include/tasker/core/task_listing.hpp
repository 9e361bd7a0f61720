#pragma once

#include <tasker/error.hpp>
#include <tasker/model/uuid.hpp>
#include <tasker/store/task_view.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tasker {

/// A task listing as a store runs it: the filter checked and its cursor read. Every store
/// lists through one: tasks matching the filter with an id below `below`, newest first, at
/// most `fetch` of them (one more than a page, so that the store learns whether a next page
/// exists without counting), then `make_page`.
struct listing_query {
    std::optional<task_id> below; ///< from the cursor: the last task of the page before
    std::size_t fetch = 0;         ///< the filter's limit, plus one
    /// Which listing a cursor belongs to: a digest of the filter without limit and cursor.
    std::string fingerprint;
};

/// `filter` checked: every string filter set is a value a request may hold (not empty), the
/// limit is between 1 and `task_filter::max_limit`, and the cursor is one that a listing with
/// this filter returned. Otherwise `errc::invalid_request`, with one located problem per
/// wrong field (`limit`, `tag`, `cursor`).
///
/// A cursor is opaque to callers, and good in any process on the same store: it holds the id of
/// a page's last task and the fingerprint of its filter, so a cursor offered with another
/// filter (or not made by a listing at all) is refused rather than answered with a page of
/// some other listing.
result<listing_query> check_filter(const task_filter& filter);

/// The page of a listing: the first `filter.limit` of `rows` (what the store fetched, newest
/// first, at most `q.fetch`), and a cursor to the next page if the store found more.
task_page make_page(std::vector<task_summary> rows, const task_filter& filter, const listing_query& q);

} // namespace tasker
