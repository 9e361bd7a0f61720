#include <tasker/rabbitmq/topology.hpp>

#include <algorithm>

namespace tasker::rabbitmq {

result<topology> topology::make(std::string_view prefix)
{
    constexpr std::size_t max_prefix = 64;
    const auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    };
    if (prefix.size() > max_prefix || !std::all_of(prefix.begin(), prefix.end(), allowed))
        return error{errc::invalid_name, "rabbitmq name prefix \"" + std::string(prefix) +
                                             "\" must be at most 64 of a-z 0-9 _ . -"};
    return topology(std::string(prefix));
}

std::chrono::milliseconds delay_bucket(duration delay) noexcept
{
    using std::chrono::milliseconds;
    // Rounded up to whole milliseconds first: never early.
    auto ms = std::chrono::ceil<milliseconds>(delay).count();
    if (ms < 1)
        return milliseconds(1);
    std::int64_t scale = 1;
    while (ms >= 100) { // keep two significant digits, rounding the dropped ones up
        ms = (ms + 9) / 10;
        scale *= 10;
    }
    return milliseconds(ms * scale);
}

} // namespace tasker::rabbitmq
