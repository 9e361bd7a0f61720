#include <tasker/model/uuid.hpp>

#include <ostream>
#include <random>

namespace tasker {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

std::uint64_t splitmix64(std::uint64_t& x) noexcept
{
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

uuid uuid::v7(std::chrono::system_clock::time_point now, std::uint64_t random_hi,
              std::uint64_t random_lo) noexcept
{
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    std::array<std::uint8_t, 16> b{};
    for (int i = 0; i < 6; ++i)
        b[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
    b[6] = static_cast<std::uint8_t>(0x70 | ((random_hi >> 8) & 0x0f)); // version 7 + rand_a
    b[7] = static_cast<std::uint8_t>(random_hi);
    b[8] = static_cast<std::uint8_t>(0x80 | ((random_lo >> 56) & 0x3f)); // variant 10 + rand_b
    for (int i = 9; i < 16; ++i)
        b[i] = static_cast<std::uint8_t>(random_lo >> (8 * (15 - i)));
    return uuid{b};
}

result<uuid> uuid::parse(std::string_view text)
{
    if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
        return error{errc::invalid_name, "not a UUID (expected 8-4-4-4-12 hex digits): '" + std::string(text) + "'"};
    std::array<std::uint8_t, 16> b{};
    int n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            continue;
        const int v = hex_value(text[i]);
        if (v < 0)
            return error{errc::invalid_name, "not a UUID (bad hex digit): '" + std::string(text) + "'"};
        b[n / 2] = static_cast<std::uint8_t>(b[n / 2] | (n % 2 == 0 ? v << 4 : v));
        ++n;
    }
    return uuid{b};
}

std::string uuid::to_string() const
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            s.push_back('-');
        s.push_back(digits[bytes_[i] >> 4]);
        s.push_back(digits[bytes_[i] & 0x0f]);
    }
    return s;
}

std::uint64_t uuid::unix_millis() const noexcept
{
    std::uint64_t ms = 0;
    for (int i = 0; i < 6; ++i)
        ms = (ms << 8) | bytes_[i];
    return ms;
}

std::ostream& operator<<(std::ostream& os, const uuid& id) { return os << id.to_string(); }

uuid_generator::uuid_generator() : uuid_generator((std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

uuid_generator::uuid_generator(std::uint64_t seed) noexcept
{
    for (auto& s : state_)
        s = splitmix64(seed);
}

std::uint64_t uuid_generator::random() noexcept
{
    // xoshiro256**
    const std::uint64_t out = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return out;
}

uuid uuid_generator::next(std::chrono::system_clock::time_point now) noexcept
{
    auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    // Monotonic: a clock step back or a counter overflow reuses the last millisecond + 1.
    if (ms < last_millis_)
        ms = last_millis_;
    if (ms == last_millis_) {
        if (++counter_ > 0x0fff) {
            ++ms;
            counter_ = 0;
        }
    } else {
        counter_ = 0;
    }
    last_millis_ = ms;
    const auto at = std::chrono::system_clock::time_point{std::chrono::milliseconds{ms}};
    return uuid::v7(at, counter_, random()); // rand_a = the counter: ids sort in creation order
}

} // namespace tasker
