// tasker::postgres's SQLSTATE error category (<tasker/postgres/errors.hpp>): codes made from
// SQLSTATEs and read back, their messages and conditions, and bad input. No server.
#include <tasker/postgres/errors.hpp>

#include "support/catch.hpp"

#include <stdexcept>
#include <string>

using tasker::condition;
using tasker::postgres::is_sqlstate;
using tasker::postgres::make_sqlstate_code;
using tasker::postgres::sqlstate;
using tasker::postgres::sqlstate_category;
using Catch::Matchers::Contains;

TEST_CASE("a SQLSTATE becomes a code of the sqlstate category and reads back unchanged", "[unit][postgres]")
{
    for (const std::string state : {"00000", "08006", "0A000", "22P02", "23505", "40P01", "42601", "57P01", "HV00B",
                                    "P0001", "XX000", "ZZZZZ", "99999"}) {
        const auto code = make_sqlstate_code(state);
        CHECK(code.category() == sqlstate_category());
        CHECK(sqlstate(code) == state);
    }
    CHECK(std::string(sqlstate_category().name()) == "tasker.postgres.sqlstate");
}

TEST_CASE("the value of a SQLSTATE code is the state read as a base-36 number", "[unit][postgres]")
{
    CHECK(make_sqlstate_code("00000").value() == 0);
    CHECK(make_sqlstate_code("00001").value() == 1);
    CHECK(make_sqlstate_code("0000A").value() == 10);
    CHECK(make_sqlstate_code("00010").value() == 36);
    CHECK(make_sqlstate_code("ZZZZZ").value() == 36 * 36 * 36 * 36 * 36 - 1);
    // Distinct states, distinct codes: 42P01 and 42601 differ in one character.
    CHECK(make_sqlstate_code("42P01") != make_sqlstate_code("42601"));
    // 00000 is successful completion: "no error", as for every category.
    CHECK_FALSE(make_sqlstate_code("00000"));
    CHECK(make_sqlstate_code("23505"));
}

TEST_CASE("a SQLSTATE code's message names the state and its condition", "[unit][postgres]")
{
    CHECK(make_sqlstate_code("42601").message() == "SQLSTATE 42601 (syntax_error)");
    CHECK(make_sqlstate_code("23505").message() == "SQLSTATE 23505 (unique_violation)");
    CHECK(make_sqlstate_code("40P01").message() == "SQLSTATE 40P01 (deadlock_detected)");
    CHECK(make_sqlstate_code("08006").message() == "SQLSTATE 08006 (connection_failure)");
    CHECK(make_sqlstate_code("57P01").message() == "SQLSTATE 57P01 (admin_shutdown)");
    CHECK(make_sqlstate_code("53300").message() == "SQLSTATE 53300 (too_many_connections)");
    CHECK(make_sqlstate_code("XX000").message() == "SQLSTATE XX000 (internal_error)");
    // A state PostgreSQL does not define is named by its class, or only by itself.
    CHECK(make_sqlstate_code("42P99").message() == "SQLSTATE 42P99 (class 42, syntax_error_or_access_rule_violation)");
    CHECK(make_sqlstate_code("ZZ999").message() == "SQLSTATE ZZ999");
    // A value no SQLSTATE has (made by hand, not by make_sqlstate_code) says so.
    CHECK_THAT(boost::system::error_code(-1, sqlstate_category()).message(), Contains("not a SQLSTATE"));
    CHECK_THAT(boost::system::error_code(36 * 36 * 36 * 36 * 36, sqlstate_category()).message(),
               Contains("not a SQLSTATE"));
}

TEST_CASE("connection trouble, shutdowns, resources, serialization failures and deadlocks are transient",
          "[unit][postgres]")
{
    for (const char* state : {"08000", "08001", "08003", "08004", "08006", "08P01", "57P01", "57P02", "57P03",
                              "40001", "40P01", "53000", "53100", "53200", "53300", "53400"}) {
        INFO(state);
        CHECK(make_sqlstate_code(state) == condition::transient);
        CHECK_FALSE(make_sqlstate_code(state) == condition::permanent);
    }
}

TEST_CASE("every other SQLSTATE is permanent", "[unit][postgres]")
{
    for (const char* state : {"42601", "42P01", "23505", "23503", "22P02", "22012", "40000", "40002", "40003",
                              "57014", "57P04", "25P02", "0A000", "XX000", "P0001", "ZZZZZ"}) {
        INFO(state);
        CHECK(make_sqlstate_code(state) == condition::permanent);
    }
    // Successful completion is no condition at all.
    CHECK_FALSE(make_sqlstate_code("00000") == condition::transient);
    CHECK_FALSE(make_sqlstate_code("00000") == condition::permanent);
}

TEST_CASE("a string that is not a SQLSTATE is refused, quoted", "[unit][postgres]")
{
    for (const char* bad : {"", "4260", "426011", "42p01", "4260 ", "42-01", "é4260"}) {
        INFO("'" << bad << "'");
        CHECK_FALSE(is_sqlstate(bad));
        CHECK_THROWS_MATCHES(make_sqlstate_code(bad), std::invalid_argument,
                             Catch::Matchers::Message(std::string("not a SQLSTATE: '") + bad +
                                                      "' (a SQLSTATE is five characters, each 0-9 or A-Z)"));
    }
    CHECK(is_sqlstate("42601"));
    CHECK(is_sqlstate("HV00B"));
}

TEST_CASE("sqlstate() reads an error's origin, and nothing from another category", "[unit][postgres]")
{
    tasker::error from_server{tasker::errc::database_error, "insert: SQLSTATE 23505: duplicate key"};
    from_server.origin = make_sqlstate_code("23505");
    CHECK(sqlstate(from_server) == "23505");
    CHECK(from_server.origin.message() == "SQLSTATE 23505 (unique_violation)");

    const tasker::error lost{tasker::errc::backend_unavailable, "no connection"};
    CHECK_FALSE(sqlstate(lost));
    CHECK_FALSE(sqlstate(tasker::make_error_code(tasker::errc::database_error)));
    CHECK_FALSE(sqlstate(boost::system::error_code(42601, boost::system::generic_category())));
}
