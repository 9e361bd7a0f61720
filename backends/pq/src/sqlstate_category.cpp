// The definitions of <tasker/postgres/errors.hpp>, the public header of tasker::postgres.
// They are compiled here, in the connection layer below it, because pq::translate makes these
// codes for tasker::postgres and tasker::pgmq alike.
#include <tasker/postgres/errors.hpp>

#include "pq/sqlstate_names.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace tasker::postgres {

namespace {

constexpr int sqlstate_length = 5;
constexpr int radix = 36;
constexpr int state_count = radix * radix * radix * radix * radix; // every value below this is a state

constexpr bool is_state_char(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

constexpr int digit_of(char c) noexcept { return c <= '9' ? c - '0' : c - 'A' + 10; }

constexpr char char_of(int digit) noexcept
{
    return static_cast<char>(digit < 10 ? '0' + digit : 'A' + (digit - 10));
}

/// The five characters of a value below `state_count`, without allocating (for noexcept code).
struct state_chars {
    std::array<char, sqlstate_length> chars{};
    std::string_view view() const noexcept { return {chars.data(), chars.size()}; }
};

constexpr state_chars decode(int value) noexcept
{
    state_chars out;
    for (int i = sqlstate_length - 1; i >= 0; --i, value /= radix)
        out.chars[static_cast<std::size_t>(i)] = char_of(value % radix);
    return out;
}

bool is_transient(std::string_view state) noexcept
{
    return state.starts_with("08") || state.starts_with("53") || state == "57P01" || state == "57P02" ||
           state == "57P03" || state == "40001" || state == "40P01";
}

class sqlstate_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "tasker.postgres.sqlstate"; }

    std::string message(int ev) const override
    {
        if (ev < 0 || ev >= state_count)
            return "not a SQLSTATE (" + std::to_string(ev) + ")";
        const std::string state(decode(ev).view());
        if (const auto name = pq::sqlstate_name(state); !name.empty())
            return "SQLSTATE " + state + " (" + std::string(name) + ")";
        const std::string class_state = state.substr(0, 2) + "000";
        if (const auto name = pq::sqlstate_name(class_state); !name.empty())
            return "SQLSTATE " + state + " (class " + state.substr(0, 2) + ", " + std::string(name) + ")";
        return "SQLSTATE " + state;
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        if (ev == 0) // successful completion: no error, as for every category
            return {};
        if (ev < 0 || ev >= state_count)
            return make_error_condition(condition::permanent);
        return make_error_condition(is_transient(decode(ev).view()) ? condition::transient : condition::permanent);
    }
};

} // namespace

const boost::system::error_category& sqlstate_category() noexcept
{
    static const sqlstate_category_impl instance;
    return instance;
}

bool is_sqlstate(std::string_view state) noexcept
{
    return state.size() == sqlstate_length && std::all_of(state.begin(), state.end(), is_state_char);
}

boost::system::error_code make_sqlstate_code(std::string_view state)
{
    if (!is_sqlstate(state))
        throw std::invalid_argument("not a SQLSTATE: '" + std::string(state) +
                                    "' (a SQLSTATE is five characters, each 0-9 or A-Z)");
    int value = 0;
    for (const char c : state)
        value = value * radix + digit_of(c);
    return {value, sqlstate_category()};
}

std::optional<std::string> sqlstate(const boost::system::error_code& code)
{
    if (code.category() != sqlstate_category() || code.value() < 0 || code.value() >= state_count)
        return std::nullopt;
    return std::string(decode(code.value()).view());
}

std::optional<std::string> sqlstate(const tasker::error& e) { return sqlstate(e.origin); }

} // namespace tasker::postgres
