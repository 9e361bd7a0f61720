// pq::translate, the one place libpqxx's exceptions become tasker errors: the core code the
// engine branches on, the SQLSTATE origin, and the message. The exceptions are made here as
// libpqxx makes them from a server's reply; no server is involved.
#include "pq/translate.hpp"

#include <tasker/postgres/errors.hpp>

#include "support/catch.hpp"

#include <pqxx/pqxx>

#include <stdexcept>
#include <string>

using tasker::condition;
using tasker::errc;
using tasker::pq::translate;
using tasker::postgres::sqlstate;
using Catch::Matchers::Contains;

namespace {

/// What libpqxx throws for a reply with `state` it has no own type for.
pqxx::sql_error server_error(const char* state, const std::string& text = "ERROR:  it failed\n")
{
    return pqxx::sql_error(text, "SELECT 1", state);
}

/// `code` and `origin` agree on whether trying again may help.
void check_conditions_agree(const tasker::error& e)
{
    if (e.origin)
        CHECK((e.code == condition::transient) == (e.origin == condition::transient));
}

} // namespace

TEST_CASE("translate: a statement the server refuses is database_error with its SQLSTATE", "[unit][postgres]")
{
    const auto e = translate(pqxx::syntax_error("ERROR:  syntax error at or near \"CREAT\"\nLINE 1: CREAT TABLE\n"
                                                "        ^\n",
                                                "CREAT TABLE", "42601"),
                             "migration 0001_x.sql failed");
    CHECK(e == errc::database_error);
    CHECK(e == condition::permanent);
    CHECK(sqlstate(e) == "42601");
    CHECK(e.origin.category() == tasker::postgres::sqlstate_category());
    CHECK(e.message == "migration 0001_x.sql failed: SQLSTATE 42601 (syntax_error): ERROR:  syntax error at or near "
                       "\"CREAT\"\nLINE 1: CREAT TABLE\n        ^");
    check_conditions_agree(e);

    const auto unique = translate(pqxx::unique_violation("ERROR:  duplicate key\n", "INSERT", "23505"), "insert");
    CHECK(unique == errc::database_error);
    CHECK(sqlstate(unique) == "23505");
    check_conditions_agree(unique);
}

TEST_CASE("translate: a lost or refused connection is backend_unavailable, with no SQLSTATE", "[unit][postgres]")
{
    const auto lost = translate(pqxx::broken_connection("server closed the connection unexpectedly\n"), "claim");
    CHECK(lost == errc::backend_unavailable);
    CHECK(lost == condition::transient);
    CHECK_FALSE(lost.origin);
    CHECK(lost.message == "claim: no connection to PostgreSQL: server closed the connection unexpectedly");

    const auto doubt = translate(pqxx::in_doubt_error("lost connection during commit"), "record");
    CHECK(doubt == errc::backend_unavailable);
    CHECK_FALSE(doubt.origin);
    CHECK_THAT(doubt.message, Contains("committed or not"));
}

TEST_CASE("translate: the server shutting down or starting up is backend_unavailable", "[unit][postgres]")
{
    for (const char* state : {"57P01", "57P02", "57P03", "08006", "08P01"}) {
        INFO(state);
        const auto e = translate(server_error(state), "read");
        CHECK(e == errc::backend_unavailable);
        CHECK(sqlstate(e) == state);
        CHECK_THAT(e.message, Contains(std::string("SQLSTATE ") + state));
        check_conditions_agree(e);
    }
}

TEST_CASE("translate: a server short of resources is backend_unavailable, too many connections included",
          "[unit][postgres]")
{
    for (const char* state : {"53000", "53100", "53200", "53400"}) {
        INFO(state);
        const auto e = translate(server_error(state), "send");
        CHECK(e == errc::backend_unavailable);
        CHECK(sqlstate(e) == state);
        CHECK_THAT(e.message, Contains(std::string("SQLSTATE ") + state) && Contains("cannot serve this now"));
        check_conditions_agree(e);
    }
    const auto crowded = translate(pqxx::too_many_connections("FATAL:  sorry, too many clients already\n"), "read");
    CHECK(crowded == errc::backend_unavailable);
    CHECK(sqlstate(crowded) == "53300");
    check_conditions_agree(crowded);
}

TEST_CASE("translate: serialization failures and deadlocks are state_conflict, named by their type",
          "[unit][postgres]")
{
    // libpqxx 6 throws these with no SQLSTATE: the type says which it was.
    const auto serialization = translate(pqxx::serialization_failure("ERROR:  could not serialize access\n"), "commit");
    CHECK(serialization == errc::state_conflict);
    CHECK(serialization == condition::transient);
    CHECK(sqlstate(serialization) == "40001");
    check_conditions_agree(serialization);

    const auto deadlock = translate(pqxx::deadlock_detected("ERROR:  deadlock detected\n"), "commit");
    CHECK(deadlock == errc::state_conflict);
    CHECK(sqlstate(deadlock) == "40P01");
    CHECK_THAT(deadlock.message, Contains("SQLSTATE 40P01") && Contains("deadlock detected"));
    check_conditions_agree(deadlock);

    // The other rollbacks of class 40 are permanent, as their SQLSTATEs are.
    const auto rollback = translate(pqxx::transaction_rollback("ERROR:  rolled back\n"), "commit");
    CHECK(rollback == errc::database_error);
    CHECK(sqlstate(rollback) == "40000");
    check_conditions_agree(rollback);
    const auto unknown = translate(pqxx::statement_completion_unknown("ERROR:  unknown\n"), "commit");
    CHECK(unknown == errc::database_error);
    CHECK(sqlstate(unknown) == "40003");
    check_conditions_agree(unknown);
}

TEST_CASE("translate: an exception that is not the server's is database_error without origin", "[unit][postgres]")
{
    const auto usage = translate(pqxx::usage_error("Started twice"), "open");
    CHECK(usage == errc::database_error);
    CHECK_FALSE(usage.origin);
    CHECK(usage.message == "open: Started twice");

    const auto other = translate(std::runtime_error("bad conversion"), "read rows");
    CHECK(other == errc::database_error);
    CHECK_FALSE(other.origin);

    // An sql_error without a (valid) SQLSTATE: still the server's text, no origin.
    const auto stateless = translate(pqxx::sql_error("ERROR:  odd\n", "SELECT 1", nullptr), "odd");
    CHECK(stateless == errc::database_error);
    CHECK_FALSE(stateless.origin);
    CHECK(stateless.message == "odd: ERROR:  odd");
}
