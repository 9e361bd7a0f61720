#pragma once
// One statement (or several) against a test database, outside any tasker code.

#include <pqxx/pqxx>

#include <string>

namespace tasker::test {

/// Runs `query` in its own committed transaction.
inline pqxx::result sql(const std::string& url, const std::string& query)
{
    pqxx::connection c(url);
    pqxx::work tx(c);
    auto r = tx.exec(query);
    tx.commit();
    return r;
}

} // namespace tasker::test
