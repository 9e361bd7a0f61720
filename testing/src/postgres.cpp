#include <tasker/testing/postgres.hpp>

#include <tasker/error.hpp>
#include <tasker/postgres/migrations.hpp>
#include <tasker/postgres/url.hpp>

#include <pqxx/pqxx>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tasker::testing {

namespace {

namespace fs = std::filesystem;

/// Session advisory lock, on the maintenance database, held while a template is checked and
/// built: the bytes of "taskertp", a key no other tasker lock uses.
constexpr std::int64_t template_lock_key = 8386110886241268848;

std::string hex(std::uint64_t bits, std::size_t digits)
{
    static constexpr char digit[] = "0123456789abcdef";
    std::string out(digits, '0');
    for (auto i = digits; i-- > 0; bits >>= 4)
        out[i] = digit[bits & 0xf];
    return out;
}

/// 64-bit FNV-1a of the `.sql` files' names and contents, in name order: what `migrate`
/// would apply. Stable across runs, compilers and machines, unlike std::hash.
std::string migrations_hash(const std::string& dir)
{
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".sql")
            files.push_back(it->path());
    if (ec)
        throw tasker::exception(
            error{errc::invalid_name, "cannot read the migrations directory '" + dir + "': " + ec.message()});
    std::sort(files.begin(), files.end());

    std::uint64_t hash = 14695981039346656037ull;
    const auto add = [&](const std::string& bytes) {
        for (const unsigned char c : bytes)
            hash = (hash ^ c) * 1099511628211ull;
        hash = (hash ^ 0xff) * 1099511628211ull; // a separator: ("ab", "c") differs from ("a", "bc")
    };
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in)
            throw tasker::exception(error{errc::invalid_name, "cannot read migration file '" + file.string() + "'"});
        add(file.filename().string());
        add(std::string(std::istreambuf_iterator<char>(in), {}));
    }
    return hex(hash, 16);
}

std::string random_database_name()
{
    static thread_local std::mt19937_64 bits{std::random_device{}()};
    return "tasker_test_" + hex(bits(), 16);
}

/// Runs `body(tx)` on a connection to the maintenance database, outside a transaction block
/// (CREATE and DROP DATABASE refuse to run inside one); client errors become tasker::exception.
template <class Body>
auto on_server(const std::string& server_url, const std::string& doing, Body body)
{
    try {
        pqxx::connection c(server_url);
        pqxx::nontransaction tx(c);
        return body(tx);
    } catch (const pqxx::broken_connection& e) {
        throw tasker::exception(
            error{errc::backend_unavailable, doing + " on the TASKER_DATABASE_URL server: " + e.what()});
    } catch (const pqxx::sql_error& e) {
        throw tasker::exception(error{errc::database_error, doing + ": SQLSTATE " + e.sqlstate() + ": " + e.what()});
    } catch (const pqxx::failure& e) {
        throw tasker::exception(error{errc::database_error, doing + ": " + e.what()});
    }
}

} // namespace

std::string postgres_server_url()
{
    const char* url = std::getenv("TASKER_DATABASE_URL");
    if (!url || !*url)
        throw std::runtime_error(
            "TASKER_DATABASE_URL is not set: tests that need PostgreSQL create their databases on the server it names. "
            "Export the URL of a maintenance database, as a role that may create databases, e.g. "
            "TASKER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres");
    return url;
}

postgres_database::postgres_database(std::string server_url, std::string name)
    : server_url_(std::move(server_url)), name_(std::move(name)), url_(postgres::with_database(server_url_, name_))
{
}

postgres_database::~postgres_database() { drop(); }

postgres_database::postgres_database(postgres_database&& other) noexcept
    : server_url_(std::move(other.server_url_)), name_(std::exchange(other.name_, {})),
      url_(std::exchange(other.url_, {}))
{
}

postgres_database& postgres_database::operator=(postgres_database&& other) noexcept
{
    if (this != &other) {
        drop();
        server_url_ = std::move(other.server_url_);
        name_ = std::exchange(other.name_, {});
        url_ = std::exchange(other.url_, {});
    }
    return *this;
}

void postgres_database::drop() noexcept
{
    if (name_.empty())
        return;
    try {
        pqxx::connection c(server_url_);
        pqxx::nontransaction tx(c);
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (...) { // a database left behind must not turn a test's end into a crash
    }
    name_.clear();
    url_.clear();
}

postgres_database empty_database()
{
    auto server = postgres_server_url();
    auto name = random_database_name();
    on_server(server, "creating test database " + name,
              [&](pqxx::nontransaction& tx) { tx.exec("CREATE DATABASE " + tx.quote_name(name)); });
    return postgres_database(std::move(server), std::move(name));
}

postgres_database migrated_database(const std::string& migrations_dir)
{
    const auto template_name = migrated_template(migrations_dir);
    auto server = postgres_server_url();
    auto name = random_database_name();
    on_server(server, "creating test database " + name + " from template " + template_name,
              [&](pqxx::nontransaction& tx) {
                  tx.exec("CREATE DATABASE " + tx.quote_name(name) + " TEMPLATE " + tx.quote_name(template_name));
              });
    return postgres_database(std::move(server), std::move(name));
}

std::string migrated_template(const std::string& migrations_dir)
{
    const auto server = postgres_server_url();
    const auto name = "tasker_template_" + migrations_hash(migrations_dir);

    // Templates this process has seen ready. Only the lookup is under the mutex: threads that
    // miss race on the server, where the advisory lock sorts them out as it does processes.
    static std::mutex mutex;
    static std::set<std::pair<std::string, std::string>> ready;
    {
        const std::lock_guard lock(mutex);
        if (ready.contains({server, name}))
            return name;
    }

    on_server(server, "building template database " + name, [&](pqxx::nontransaction& tx) {
        // Released when the connection closes, however this ends.
        tx.exec("SELECT pg_advisory_lock(" + std::to_string(template_lock_key) + ")");
        const auto found = tx.exec_params("SELECT datistemplate FROM pg_database WHERE datname = $1", name);
        if (!found.empty() && found[0][0].as<bool>())
            return; // built by an earlier run or another process
        const auto quoted = tx.quote_name(name);
        if (!found.empty()) // its builder died before marking it done: start over
            tx.exec("DROP DATABASE " + quoted + " WITH (FORCE)");
        tx.exec("CREATE DATABASE " + quoted);
        auto applied = postgres::migrate(postgres::with_database(server, name), migrations_dir);
        if (!applied) {
            try { // best effort: the next builder starts over anyway, and the migration's error matters more
                tx.exec("DROP DATABASE " + quoted + " WITH (FORCE)");
            } catch (const pqxx::failure&) {
            }
            auto e = applied.error();
            e.message = "migrating template database " + name + " from '" + migrations_dir + "': " + e.message;
            throw tasker::exception(std::move(e));
        }
        // Done only now. No connections: PostgreSQL refuses to copy a database anyone is
        // connected to (it waits a few seconds for migrate's session to go, then fails).
        tx.exec("ALTER DATABASE " + quoted + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
    });

    const std::lock_guard lock(mutex);
    ready.insert({server, name});
    return name;
}

} // namespace tasker::testing
