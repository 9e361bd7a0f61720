// tasker-migrate: applies tasker's pending SQL migrations to a PostgreSQL database and prints
// the name of each one it applied. Safe to run from several processes at once; exit status 1,
// with the error on stderr, when it cannot connect or a migration fails.
#include <tasker/postgres/migrations.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

namespace {

// Installed, the migrations sit in <prefix>/share/tasker/migrations next to <prefix>/bin;
// in a build tree, in the source tree's migrations/.
std::string default_migrations_dir()
{
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = exe.parent_path().parent_path() / "share" / "tasker" / "migrations";
        if (std::filesystem::is_directory(installed, ec))
            return installed.string();
    }
    return TASKER_SOURCE_MIGRATIONS_DIR;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Applies tasker's pending database migrations."};
    std::string url;
    std::string dir = default_migrations_dir();
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
