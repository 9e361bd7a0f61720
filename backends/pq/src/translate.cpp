#include "pq/translate.hpp"

#include <tasker/postgres/errors.hpp>

#include <pqxx/pqxx>

#include <string>
#include <typeinfo>

namespace tasker::pq {

namespace {

/// The SQLSTATE the server sent with `e`. libpqxx 6 keeps it only on `sql_error`; the
/// exceptions it throws for 40000, 40001, 40003, 40P01 and 53300 carry none, their type
/// says which it was. A lost connection or a client-side failure has none.
std::string state_of(const std::exception& e)
{
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e))
        return postgres::is_sqlstate(sql->sqlstate()) ? sql->sqlstate() : std::string();
    if (dynamic_cast<const pqxx::too_many_connections*>(&e))
        return "53300";
    if (dynamic_cast<const pqxx::serialization_failure*>(&e))
        return "40001";
    if (dynamic_cast<const pqxx::deadlock_detected*>(&e))
        return "40P01";
    if (dynamic_cast<const pqxx::statement_completion_unknown*>(&e))
        return "40003";
    if (typeid(e) == typeid(pqxx::transaction_rollback))
        return "40000";
    return {};
}

/// The server's text without the line break libpq ends it with.
std::string text_of(const std::exception& e)
{
    std::string text = e.what();
    text.erase(text.find_last_not_of(" \n\t\r") + 1);
    return text;
}

} // namespace

error translate(const std::exception& e, std::string_view doing)
{
    const std::string where(doing);
    const std::string state = state_of(e);
    const std::string text = text_of(e);
    const auto from_server = [&](errc code, const std::string& what) {
        error err{code, where + ": " + what + text};
        if (!state.empty())
            err.origin = postgres::make_sqlstate_code(state);
        return err;
    };
    if (dynamic_cast<const pqxx::broken_connection*>(&e)) // too_many_connections (53300) too
        return from_server(errc::backend_unavailable, "no connection to PostgreSQL: ");
    // A commit of unknown outcome is a lost connection too: the engine's operations are
    // compare-and-sets, safe to run again (creating a task without an identity key is not,
    // hence "committed or not" in the message).
    if (dynamic_cast<const pqxx::in_doubt_error*>(&e))
        return from_server(errc::backend_unavailable,
                           "lost the connection to PostgreSQL while committing (committed or not): ");
    if (state.empty())
        return from_server(errc::database_error, "");
    // Which states are worth trying again is the SQLSTATE category's rule; the transient
    // ones of class 40 (serialization failure, deadlock) are lost compare-and-sets.
    const auto origin = postgres::make_sqlstate_code(state);
    if (origin == condition::transient && state.starts_with("40"))
        return from_server(errc::state_conflict, "concurrent update, retry: " + origin.message() + ": ");
    if (origin == condition::transient)
        return from_server(errc::backend_unavailable, "PostgreSQL cannot serve this now: " + origin.message() + ": ");
    return from_server(errc::database_error, origin.message() + ": ");
}

} // namespace tasker::pq
