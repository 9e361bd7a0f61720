// tasker-migrate: applies tasker's pending SQL migrations to a PostgreSQL database and prints
// the name of each one it applied. Safe to run from several processes at once; exit status 1,
// with the error on stderr, when it cannot connect or a migration fails.
#include <tasker/postgres/migrations.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv)
{
    CLI::App app{"Applies tasker's pending database migrations."};
    std::string url;
    std::string dir = TASKER_DEFAULT_MIGRATIONS_DIR;
    app.add_option("--url", url, "PostgreSQL connection URL (postgresql://user@host:port/db)")
        ->required()
        ->envname("TASKER_DATABASE_URL");
    app.add_option("--dir", dir, "Directory holding the NNNN_name.sql migrations")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 1; // --help is success; any usage error exits 1 like other failures
    }

    auto applied = tasker::postgres::migrate(url, dir);
    if (!applied) {
        std::cerr << "tasker-migrate: " << applied.error() << "\n";
        return 1;
    }
    for (const auto& name : *applied)
        std::cout << "applied " << name << "\n";
    if (applied->empty())
        std::cout << "up to date\n";
    return 0;
}
