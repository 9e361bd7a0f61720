#pragma once
// Internal to tasker's PostgreSQL backends (never installed): running prepared statements, and
// passing lists of keys to them.

#include <pqxx/pqxx>

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tasker::pq {

/// `{a,b,...}`: an array literal of values whose text needs no quoting (integers, uuids), to
/// pass as a parameter of type bigint[] or uuid[].
template <class T>
std::string array_literal(const std::vector<T>& values)
{
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ',';
        if constexpr (std::is_integral_v<T>)
            out += std::to_string(values[i]);
        else
            out += values[i].to_string();
    }
    return out + "}";
}

/// Runs `sql` in `tx` as the prepared statement `name`, preparing it on the transaction's
/// connection first if needed (libpqxx keeps one definition per name per connection: after
/// the first time this is a lookup).
template <class... Args>
pqxx::result exec_prepared(pqxx::transaction_base& tx, const std::string& name, const std::string& sql,
                           Args&&... args)
{
    tx.conn().prepare(name, sql);
    return tx.exec_prepared(name, std::forward<Args>(args)...);
}

/// `EXECUTE "<name>"`, for a simple-protocol string that runs the prepared statement `name`
/// (`sql`) with literal arguments, in the same round trip as other statements (a BEGIN, a
/// COMMIT). The statement is registered on `tx`'s connection first if it is not yet: the server
/// must know it before the string that names it arrives.
inline std::string execute_prepared_sql(pqxx::transaction_base& tx, const std::string& name, const std::string& sql)
{
    auto& c = tx.conn();
    c.prepare(name, sql);
    c.prepare_now(name);
    return "EXECUTE " + c.quote_name(name);
}

} // namespace tasker::pq
