#pragma once
// A throw-away database with every tasker migration applied (TASKER_MIGRATIONS_DIR), on the
// TASKER_DATABASE_URL server. Link tasker::postgres and PkgConfig::PQXX.

#include <tasker/postgres/migrations.hpp>

#include "support/postgres_database.hpp"

#include <stdexcept>

namespace tasker::test {

/// A new database holding the tasker schema and the bundled pgmq: what a deployment runs on.
inline postgres_database migrated_database()
{
    auto db = fresh_database();
    auto applied = postgres::migrate(db.url(), TASKER_MIGRATIONS_DIR);
    if (!applied)
        throw std::runtime_error("migrating the test database failed: " + applied.error().what());
    return db;
}

} // namespace tasker::test
