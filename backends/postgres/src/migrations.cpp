#include <tasker/postgres/migrations.hpp>

#include "pq/redact.hpp"
#include "pq/translate.hpp"

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <system_error>

namespace tasker::postgres {

namespace {

namespace fs = std::filesystem;

/// Every tasker migration runner takes this transaction-level advisory lock before it looks at
/// schema_migrations: the bytes of "taskermg", a key no other tasker lock uses.
constexpr std::string_view lock_statement = "SELECT pg_advisory_xact_lock(8386110886241267047)";

constexpr std::string_view create_table_statement =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

struct migration_file {
    std::string name; ///< the file name without `.sql`: what schema_migrations records
    fs::path path;
};

/// Where a connection URL points, for messages, and the password to keep out of them.
struct target {
    std::string description; ///< "host H port P database D", or why the URL is unusable
    std::string password;
    bool valid = false;
};

/// libpq's multi-line message as one line, trimmed, without the password.
std::string clean(std::string_view message, const std::string& password)
{
    std::string out;
    bool space = false;
    for (char c : message) {
        if (c == '\n' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space)
            out += ' ';
        space = false;
        out += c;
    }
    if (!password.empty())
        for (auto at = out.find(password); at != std::string::npos; at = out.find(password, at + 3))
            out.replace(at, password.size(), "***");
    return out;
}

target describe(const std::string& url)
{
    char* parse_error = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(url.c_str(), &parse_error),
                                                                         &PQconninfoFree);
    if (!options) {
        std::string why = parse_error ? parse_error : "out of memory";
        PQfreemem(parse_error);
        return {"an invalid connection URL (" + clean(pq::redact(why), {}) + ")", {}, false};
    }
    std::string host, hostaddr, port, dbname, password;
    for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
        if (!o->val)
            continue;
        const std::string_view key = o->keyword;
        if (key == "host")
            host = o->val;
        else if (key == "hostaddr")
            hostaddr = o->val;
        else if (key == "port")
            port = o->val;
        else if (key == "dbname")
            dbname = o->val;
        else if (key == "password")
            password = o->val;
    }
    // libpq fills what the URL leaves out from the environment, then its built-in defaults.
    const auto fallback = [](std::string& value, const char* env, const char* builtin) {
        if (value.empty())
            value = std::getenv(env) ? std::getenv(env) : builtin;
    };
    if (host.empty())
        host = hostaddr;
    fallback(host, "PGHOST", "the default socket directory");
    fallback(port, "PGPORT", "5432");
    std::string description = "host " + host + " port " + port;
    if (!dbname.empty())
        description += " database " + dbname;
    return {std::move(description), std::move(password), true};
}

/// `e` through the one translation of libpqxx's exceptions, `doing` naming the server, its
/// message on one line and without the password.
error failure(const std::exception& e, const std::string& doing, const target& t)
{
    auto err = pq::translate(e, doing + " (PostgreSQL at " + t.description + ")");
    err.message = clean(err.message, t.password);
    return err;
}

result<std::unique_ptr<pqxx::connection>> connect(const std::string& url, const target& t)
{
    if (!t.valid)
        return error{errc::backend_unavailable, "cannot connect to PostgreSQL: " + t.description};
    try {
        auto c = std::make_unique<pqxx::connection>(url);
        // Migrations are free to be chatty ("already exists, skipping"); tools print what matters.
        pqxx::nontransaction session(*c);
        session.exec("SET client_min_messages = warning");
        session.commit();
        return c;
    } catch (const std::exception& e) {
        return failure(e, "connecting", t);
    }
}

bool is_migration_name(std::string_view stem)
{
    if (stem.size() < 6 || stem[4] != '_')
        return false;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    const auto name_char = [&](char c) { return digit(c) || (c >= 'a' && c <= 'z') || c == '_'; };
    return std::all_of(stem.begin(), stem.begin() + 4, digit) && std::all_of(stem.begin() + 5, stem.end(), name_char);
}

result<std::vector<migration_file>> list_migrations(const std::string& dir)
{
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
        return error{errc::invalid_name, "cannot read the migrations directory '" + dir + "': " + ec.message()};
    std::vector<migration_file> files;
    for (const auto& entry : it) {
        if (!entry.is_regular_file(ec) || entry.path().extension() != ".sql")
            continue;
        const std::string stem = entry.path().stem().string();
        if (!is_migration_name(stem))
            return error{errc::invalid_name, "migration file '" + entry.path().filename().string() +
                                                 "' in '" + dir + "' is not named NNNN_name.sql ([a-z0-9_] name)"};
        files.push_back({stem, entry.path()});
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (std::size_t i = 1; i < files.size(); ++i)
        if (files[i].name.compare(0, 4, files[i - 1].name, 0, 4) == 0)
            return error{errc::invalid_name, "migrations '" + files[i - 1].name + "' and '" + files[i].name +
                                                 "' in '" + dir + "' share the number " + files[i].name.substr(0, 4)};
    return files;
}

result<std::string> read_file(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in)
        text << in.rdbuf();
    if (!in)
        return error{errc::invalid_name, "cannot read migration file '" + path.string() + "'"};
    return text.str();
}

/// Applies one file unless it is recorded; returns whether it applied it. Every failure names
/// the file.
result<bool> apply(pqxx::connection& c, const migration_file& m, const std::string& sql, const target& t)
{
    const std::string file = m.path.filename().string();
    try {
        pqxx::work tx(c, "migrate");
        tx.exec(std::string(lock_statement));
        // Read after the lock, hence after any concurrent runner's commit of this very file.
        const auto recorded =
            tx.exec_params("SELECT version FROM schema_migrations WHERE left(version, 5) = $1", m.name.substr(0, 5));
        if (!recorded.empty()) {
            const auto version = recorded[0][0].as<std::string>();
            if (version == m.name)
                return false;
            return error{errc::database_error, "migration number " + m.name.substr(0, 4) + " is recorded as '" +
                                                   version + "' but the file is '" + file + "'"};
        }
        try {
            tx.exec(sql, m.name);
        } catch (const std::exception& e) {
            // Not cleaned to one line: the server's LINE/caret context points into the file.
            return pq::translate(e, "migration " + file + " failed and was rolled back");
        }
        tx.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)", m.name);
        try {
            tx.commit();
        } catch (const std::exception& e) {
            return failure(e, "migration " + file + ": its commit failed, so whether it is recorded is unknown "
                                  "(run the migrations again to find out)", t);
        }
        return true;
    } catch (const std::exception& e) {
        return failure(e, "migration " + file, t);
    }
}

} // namespace

result<std::vector<std::string>> migrate(const std::string& connection_url, const std::string& migrations_dir)
{
    auto files = list_migrations(migrations_dir);
    if (!files)
        return files.error();
    const target t = describe(connection_url);
    auto c = connect(connection_url, t);
    if (!c)
        return c.error();

    try {
        // Under the lock: concurrent CREATE TABLE IF NOT EXISTS can fail instead of waiting.
        pqxx::work tx(**c, "schema_migrations");
        tx.exec(std::string(lock_statement));
        tx.exec(std::string(create_table_statement));
        tx.commit();
    } catch (const std::exception& e) {
        // E.g. no right to create schema_migrations.
        return failure(e, "creating schema_migrations", t);
    }
    std::vector<std::string> applied;
    for (const auto& m : *files) {
        auto sql = read_file(m.path);
        if (!sql)
            return sql.error();
        auto done = apply(**c, m, *sql, t);
        if (!done)
            return done.error();
        if (*done)
            applied.push_back(m.name);
    }
    return applied;
}

result<std::vector<std::string>> applied_migrations(const std::string& url)
{
    const target t = describe(url);
    auto c = connect(url, t);
    if (!c)
        return c.error();
    try {
        pqxx::read_transaction tx(**c, "applied_migrations");
        std::vector<std::string> names;
        if (tx.exec("SELECT to_regclass('schema_migrations') IS NULL")[0][0].as<bool>())
            return names;
        for (const auto& row : tx.exec("SELECT version FROM schema_migrations ORDER BY version"))
            names.push_back(row[0].as<std::string>());
        return names;
    } catch (const std::exception& e) {
        return failure(e, "reading schema_migrations", t);
    }
}

} // namespace tasker::postgres
