#include "store/sql.hpp"

#include <stdexcept>

namespace tasker::postgres::detail {

time_point from_us(std::int64_t us)
{
    return time_point{std::chrono::duration_cast<duration>(std::chrono::microseconds(us))};
}

std::int64_t to_us(duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

uuid parse_uuid(const pqxx::field& f)
{
    auto id = uuid::parse(f.c_str());
    if (!id)
        throw std::runtime_error("tasker: unreadable uuid '" + std::string(f.c_str()) + "' in column " + f.name());
    return *id;
}

json_ptr parse_json_field(const pqxx::field& f)
{
    if (f.is_null())
        return nullptr;
    auto v = parse_json(std::string_view(f.c_str(), f.size()));
    if (!v)
        throw std::runtime_error("tasker: unreadable JSON from the database: " + v.error().what());
    return make_json(std::move(*v));
}

std::vector<std::string> parse_tags(const pqxx::field& f)
{
    std::vector<std::string> out;
    const auto v = parse_json_field(f);
    if (!v || !v->is_array())
        return out;
    for (const auto& tag : v->as_array())
        if (tag.is_string())
            out.emplace_back(tag.as_string());
    return out;
}

write_transaction::~write_transaction()
{
    if (!open_)
        return;
    try {
        tx_.exec("ROLLBACK");
    } catch (const std::exception&) {
        // The connection broke: the server ends the transaction itself, the pool drops it.
    }
}

pqxx::result write_transaction::begin_with(const std::string& sql)
{
    if (open_)
        return sql.empty() ? pqxx::result{} : tx_.exec(sql);
    open_ = true; // from here on, a failure leaves a transaction to roll back
    return tx_.exec(sql.empty() ? std::string("BEGIN") : "BEGIN; " + sql);
}

void write_transaction::commit_with(const std::string& sql)
{
    tx_.exec(sql.empty() ? std::string("COMMIT") : sql + "; COMMIT");
    open_ = false;
}

} // namespace tasker::postgres::detail
