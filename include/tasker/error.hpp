#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tasker {

/// Error codes of tasker's core. Each maps onto one of the two conditions of
/// `tasker::condition`: `transient` (retrying the same operation may succeed) or
/// `permanent` (it will not).
enum class errc {
    // input
    malformed_yaml = 1,  ///< the text is not valid YAML
    malformed_json,      ///< the text is not valid JSON
    invalid_template,    ///< a template failed validation (see `error::problems`)
    invalid_context,     ///< a task's context failed the template's input_schema
    invalid_result,      ///< a step's successful result failed the step's result_schema
    invalid_name,        ///< a queue, namespace or step name failed its pattern
    payload_too_large,   ///< a context or result exceeds the configured cap
    invalid_outcome,     ///< a decision or batch outcome a step returned cannot be carried out
    // lookup
    template_not_found,  ///< no template with that namespace and name
    version_not_found,   ///< the template exists, but not in that version
    template_conflict,   ///< (namespace, name, version) registered with other content
    task_not_found,
    step_not_found,
    unknown_handler,     ///< a template names a callable nobody registered
    // state
    illegal_transition,  ///< the state machine has no row for (state, event)
    state_conflict,      ///< a compare-and-set lost: the state changed meanwhile
    // infrastructure
    backend_unavailable, ///< the store or broker cannot be reached right now
    database_error,      ///< the database rejected a statement (SQLSTATE and message in the text)
    broker_error,        ///< the message broker refused an operation (its reply code and text in the message)
    timeout,
    shutting_down,
    // input (numbered after the others so existing codes keep their values)
    invalid_request,     ///< a request's, filter's or action's fields break their rules (the message says which)
};

/// The two conditions every tasker error code maps onto.
enum class condition { transient = 1, permanent };

} // namespace tasker

namespace boost::system {
template <>
struct is_error_code_enum<tasker::errc> : std::true_type {};
template <>
struct is_error_condition_enum<tasker::condition> : std::true_type {};
} // namespace boost::system

namespace tasker {

const boost::system::error_category& core_category() noexcept;
const boost::system::error_category& condition_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), core_category()};
}

inline boost::system::error_condition make_error_condition(condition c) noexcept
{
    return {static_cast<int>(c), condition_category()};
}

std::string_view to_string(errc e) noexcept;
std::ostream& operator<<(std::ostream& os, errc e);
std::string_view to_string(condition c) noexcept;
std::ostream& operator<<(std::ostream& os, condition c);

/// A located problem, one of possibly many reported by a validation.
struct problem {
    std::string path;    ///< where: `steps[2].retry.max_attempts`, `$.customer.email`
    int line = 0;        ///< 1-based source line when the input was text, else 0
    int column = 0;      ///< 1-based source column when known, else 0
    std::string message; ///< what is wrong, in words

    friend bool operator==(const problem&, const problem&) = default;
};

std::ostream& operator<<(std::ostream& os, const problem& p);

/// The error type of `tasker::result`: a code plus the diagnostics that travel with it.
///
/// `code` is what programs branch on (compare with an `errc` or a `condition`);
/// `message` and `problems` are for people: they say exactly what was wrong and where.
struct error {
    boost::system::error_code code;
    std::string message;
    std::vector<problem> problems;
    /// Where a backend's error came from, in that backend's own terms: a SQLSTATE in
    /// `postgres::sqlstate_category()`, an AMQP reply code or a rabbitmq-c status in the
    /// RabbitMQ backend's categories. Those categories map onto `condition` as `code` does.
    /// Empty (`!origin`) for errors the core made itself.
    boost::system::error_code origin;

    error() = default;
    error(boost::system::error_code c, std::string msg = {}) : code(c), message(std::move(msg)) {}
    error(errc e, std::string msg = {}) : code(make_error_code(e)), message(std::move(msg)) {}
    error(errc e, std::string msg, std::vector<problem> ps)
        : code(make_error_code(e)), message(std::move(msg)), problems(std::move(ps))
    {
    }

    /// The code's text, then the message, then one line per problem.
    std::string what() const;

    friend bool operator==(const error& a, errc b) noexcept { return a.code == make_error_code(b); }
    friend bool operator==(const error& a, condition b) noexcept { return a.code == make_error_condition(b); }
};

std::ostream& operator<<(std::ostream& os, const error& e);

/// True if retrying the failed operation may succeed.
inline bool is_transient(const error& e) noexcept { return e.code == condition::transient; }

/// Thrown by `result::value()` on an error; carries the whole `tasker::error`.
class exception : public boost::system::system_error {
public:
    explicit exception(tasker::error e);
    const tasker::error& error() const noexcept { return error_; }

private:
    tasker::error error_;
};

[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

/// Every fallible tasker operation returns this: a value or a `tasker::error`.
template <class T>
using result = boost::system::result<T, error>;

} // namespace tasker
