#include <tasker/model/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

namespace tasker {

const json::value& deref(const json_ptr& p) noexcept
{
    static const json::value null_value;
    return p ? *p : null_value;
}

result<json::value> parse_json(std::string_view text)
{
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec)
        return error{errc::malformed_json, ec.message()};
    return v;
}

std::string to_json_string(const json::value& v) { return json::serialize(v); }

std::size_t serialized_size(const json::value& v)
{
    json::serializer sr;
    sr.reset(&v);
    char buf[4096];
    std::size_t n = 0;
    while (!sr.done())
        n += sr.read(buf, sizeof(buf)).size();
    return n;
}

} // namespace tasker
