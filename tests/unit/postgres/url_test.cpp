// tasker::postgres::with_database: a connection URL pointed at another database, in every form
// libpq accepts. Pure string work: no server.
#include <tasker/postgres/url.hpp>

#include "support/catch.hpp"

using tasker::postgres::with_database;

TEST_CASE("with_database replaces a URI's path, or adds one", "[unit][postgres]")
{
    CHECK(with_database("postgresql://u@h:1/postgres", "x") == "postgresql://u@h:1/x");
    CHECK(with_database("postgresql://u:pw@h:1/postgres", "x") == "postgresql://u:pw@h:1/x");
    CHECK(with_database("postgresql://u@h", "x") == "postgresql://u@h/x");
    CHECK(with_database("postgresql://u@h/", "x") == "postgresql://u@h/x");
    CHECK(with_database("postgres://h1:1,h2:2/db", "x") == "postgres://h1:1,h2:2/x");
    CHECK(with_database("postgresql://[::1]:5432/db", "x") == "postgresql://[::1]:5432/x");
    CHECK(with_database("postgresql://", "x") == "postgresql:///x");
}

TEST_CASE("with_database keeps a URI's query string, less any dbname parameter", "[unit][postgres]")
{
    CHECK(with_database("postgresql://u@h:1/postgres?sslmode=disable", "x") == "postgresql://u@h:1/x?sslmode=disable");
    CHECK(with_database("postgres://h?sslmode=disable", "x") == "postgres://h/x?sslmode=disable");
    CHECK(with_database("postgresql:///postgres?host=/run/pg&port=5433", "x") ==
          "postgresql:///x?host=/run/pg&port=5433");
    // libpq would let a dbname parameter win over the path.
    CHECK(with_database("postgresql://h/a?dbname=b&sslmode=disable", "x") == "postgresql://h/x?sslmode=disable");
    CHECK(with_database("postgresql://h?dbname=b", "x") == "postgresql://h/x");
}

TEST_CASE("with_database percent-encodes a database name in a URI", "[unit][postgres]")
{
    CHECK(with_database("postgresql://h/db", "my db/1?") == "postgresql://h/my%20db%2F1%3F");
    CHECK(with_database("postgresql://h/db", "tasker_test-1.a~") == "postgresql://h/tasker_test-1.a~");
}

TEST_CASE("with_database appends dbname to a key=value connection string", "[unit][postgres]")
{
    // libpq takes the last of a repeated keyword.
    CHECK(with_database("host=h dbname=postgres", "x") == "host=h dbname=postgres dbname=x");
    CHECK(with_database("host=h port=5433", "x") == "host=h port=5433 dbname=x");
    CHECK(with_database("", "x") == "dbname=x");
    CHECK(with_database("host=h", "my db") == "host=h dbname='my db'");
    CHECK(with_database("host=h", R"(it's\)") == R"(host=h dbname='it\'s\\')");
}
