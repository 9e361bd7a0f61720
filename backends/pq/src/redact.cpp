#include "pq/redact.hpp"

#include <regex>

namespace tasker::pq {

std::string redact(const std::string& text)
{
    // postgresql://user:secret@host -> postgresql://user:***@host; password=secret -> password=***
    static const std::regex uri_password(R"(([a-z]+://[^:/@\s]*):[^@\s]*@)");
    static const std::regex keyword_password(R"(password\s*=\s*[^\s&]+)");
    return std::regex_replace(std::regex_replace(text, uri_password, "$1:***@"), keyword_password, "password=***");
}

} // namespace tasker::pq
