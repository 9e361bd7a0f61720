#include <tasker/error.hpp>

#include <ostream>
#include <sstream>

namespace tasker {

namespace {

class core_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "tasker"; }

    std::string message(int ev) const override { return std::string(to_string(static_cast<errc>(ev))); }

    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        switch (static_cast<errc>(ev)) {
        case errc::state_conflict:
        case errc::backend_unavailable:
        case errc::timeout:
        case errc::shutting_down:
            return make_error_condition(condition::transient);
        default:
            return make_error_condition(condition::permanent);
        }
    }
};

class condition_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "tasker.condition"; }

    std::string message(int ev) const override
    {
        return std::string(to_string(static_cast<condition>(ev)));
    }
};

} // namespace

const boost::system::error_category& core_category() noexcept
{
    static const core_category_impl instance;
    return instance;
}

const boost::system::error_category& condition_category() noexcept
{
    static const condition_category_impl instance;
    return instance;
}

std::string_view to_string(errc e) noexcept
{
    switch (e) {
    case errc::malformed_yaml: return "malformed YAML";
    case errc::malformed_json: return "malformed JSON";
    case errc::invalid_template: return "invalid task template";
    case errc::invalid_context: return "task context fails the input schema";
    case errc::invalid_result: return "step result fails the result schema";
    case errc::invalid_name: return "invalid name";
    case errc::payload_too_large: return "payload too large";
    case errc::invalid_outcome: return "invalid step outcome";
    case errc::invalid_request: return "invalid request";
    case errc::template_not_found: return "task template not found";
    case errc::version_not_found: return "task template version not found";
    case errc::template_conflict: return "task template already registered with other content";
    case errc::task_not_found: return "task not found";
    case errc::step_not_found: return "step not found";
    case errc::unknown_handler: return "unknown step handler";
    case errc::illegal_transition: return "illegal state transition";
    case errc::state_conflict: return "state changed concurrently";
    case errc::backend_unavailable: return "backend unavailable";
    case errc::database_error: return "database error";
    case errc::broker_error: return "broker error";
    case errc::timeout: return "timed out";
    case errc::shutting_down: return "shutting down";
    }
    return "unknown tasker error";
}

std::ostream& operator<<(std::ostream& os, errc e) { return os << to_string(e); }

std::string_view to_string(condition c) noexcept
{
    switch (c) {
    case condition::transient: return "transient";
    case condition::permanent: return "permanent";
    }
    return "unknown condition";
}

std::ostream& operator<<(std::ostream& os, condition c) { return os << to_string(c); }

std::ostream& operator<<(std::ostream& os, const problem& p)
{
    if (!p.path.empty())
        os << p.path;
    if (p.line > 0)
        os << " (line " << p.line << ", column " << p.column << ")";
    if (!p.path.empty() || p.line > 0)
        os << ": ";
    return os << p.message;
}

std::string error::what() const
{
    std::ostringstream os;
    os << *this;
    return os.str();
}

std::ostream& operator<<(std::ostream& os, const error& e)
{
    os << e.code.message();
    if (!e.message.empty())
        os << ": " << e.message;
    for (const auto& p : e.problems)
        os << "\n  - " << p;
    return os;
}

exception::exception(tasker::error e) : boost::system::system_error(e.code, e.what()), error_(std::move(e)) {}

void throw_exception_from_error(const error& e, const boost::source_location&) { throw exception(e); }

} // namespace tasker
