#include "pack_codec.hpp"

#include <tasker/model/json.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace tasker::rabbitmq {

std::vector<outgoing> pack(std::vector<outgoing> ms, std::size_t limit)
{
    limit = std::max<std::size_t>(limit, 1);
    std::vector<outgoing> packs;
    for (std::size_t i = 0; i < ms.size();) {
        std::size_t j = i + 1;
        while (j < ms.size() && j - i < limit && ms[j].read_count == ms[i].read_count)
            ++j;
        if (j - i == 1) {
            packs.push_back(std::move(ms[i]));
        } else {
            outgoing p{"[", ms[i].read_count};
            for (std::size_t k = i; k < j; ++k) {
                if (k > i)
                    p.body += ',';
                p.body += ms[k].body;
            }
            p.body += ']';
            packs.push_back(std::move(p));
        }
        i = j;
    }
    return packs;
}

result<std::vector<unpacked>> unpack(std::string body)
{
    auto parsed = parse_json(body);
    if (!parsed)
        return parsed.error();
    std::vector<unpacked> out;
    if (const auto* array = parsed->if_array()) {
        if (array->empty())
            return error{errc::malformed_json, "an empty pack of messages"};
        out.reserve(array->size());
        for (const auto& v : *array) {
            auto m = message_from_json(v);
            if (!m)
                return m.error();
            out.emplace_back(std::move(*m), json::serialize(v));
        }
        return out;
    }
    auto m = message_from_json(*parsed);
    if (!m)
        return m.error();
    out.emplace_back(std::move(*m), std::move(body));
    return out;
}

} // namespace tasker::rabbitmq
