#include <tasker/logger.hpp>

#include <ostream>

namespace tasker {

std::string_view to_string(log_level l) noexcept
{
    switch (l) {
    case log_level::trace: return "trace";
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    case log_level::off: return "off";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, log_level l) { return os << to_string(l); }

logger::logger(log_level level, sink_type sink)
    : level_(level), sink_(sink ? std::make_shared<const sink_type>(std::move(sink)) : nullptr)
{
}

logger logger::with(std::string_view fields) const
{
    logger l = *this;
    if (!enabled(log_level::error))
        return l; // nothing will be written: skip building the prefix
    std::string f = fields_ ? *fields_ + ' ' : std::string{};
    f += fields;
    l.fields_ = std::make_shared<const std::string>(std::move(f));
    return l;
}

void logger::write(log_level l, std::string line) const
{
    if (fields_) {
        line.reserve(line.size() + fields_->size() + 1);
        line.insert(0, *fields_ + ' ');
    }
    (*sink_)(l, line);
}

} // namespace tasker
