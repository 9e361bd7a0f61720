#pragma once
// Internal to tasker::postgres: how the store runs its statements — prepared statements, the
// write transaction whose BEGIN and COMMIT ride with other statements, and conversions of the
// columns it reads.

#include "pq/pool.hpp"

#include <tasker/model/json.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>

#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tasker::postgres::detail {

/// A prepared statement: registered on a connection the first time it runs there.
struct statement {
    const char* name;
    const char* sql;
};

/// Runs `s` with `args` in `tx`, prepared (see pq::exec_prepared).
template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const statement& s, Args&&... args)
{
    return pq::exec_prepared(tx, s.name, s.sql, std::forward<Args>(args)...);
}

/// A read-write transaction whose two ends cost no round trip of their own: BEGIN travels with
/// the first statement and COMMIT with the last, each pair as one simple-protocol string
/// (`pqxx::work` sends BEGIN and COMMIT alone). Every hop of a task ends one such transaction
/// and starts another, so this saves two round trips per hop. Statements in between run
/// through `statements()` (prepared, as usual). Rolled back when destroyed uncommitted.
class write_transaction {
public:
    explicit write_transaction(pqxx::connection& c) : tx_(c) {}
    ~write_transaction();
    write_transaction(const write_transaction&) = delete;
    write_transaction& operator=(const write_transaction&) = delete;

    /// BEGIN (unless begun already) and `sql` (a single statement, or empty): the result of
    /// `sql`.
    pqxx::result begin_with(const std::string& sql);
    /// `sql` (statements separated by `;`, or empty) and COMMIT.
    void commit_with(const std::string& sql);

    pqxx::transaction_base& statements() noexcept { return tx_; }
    std::string quote(const std::string& text) { return tx_.quote(text); }

private:
    pqxx::nontransaction tx_;
    bool open_ = false;
};

/// The name of a state, event or kind: the label of its enum type in the schema.
template <class Enum>
std::string name_of(Enum e)
{
    return std::string(to_string(e));
}

/// Microseconds since the Unix epoch, as the database hands times to the store.
time_point from_us(std::int64_t us);
std::int64_t to_us(duration d);

/// A uuid column (a task id, a lease owner); throws, naming the column, if it is not one.
uuid parse_uuid(const pqxx::field& f);
json_ptr parse_json_field(const pqxx::field& f); ///< nullptr for SQL NULL
/// A task's tags, read as `array_to_json(tags)::text`.
std::vector<std::string> parse_tags(const pqxx::field& f);

} // namespace tasker::postgres::detail
