#pragma once

#include <tasker/error.hpp>

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace tasker {

/// A 128-bit RFC 9562 UUID. tasker makes version 7 ids (time-ordered) in C++, so ids
/// sort by creation time in every store, including PostgreSQL 15 which has no uuidv7().
class uuid {
public:
    constexpr uuid() noexcept = default;
    constexpr explicit uuid(std::array<std::uint8_t, 16> bytes) noexcept : bytes_(bytes) {}

    /// A version-7 id: 48 bits of Unix milliseconds from `now`, then `random` bits.
    static uuid v7(std::chrono::system_clock::time_point now, std::uint64_t random_hi,
                   std::uint64_t random_lo) noexcept;

    /// Parses the canonical 8-4-4-4-12 hex form (either case).
    static result<uuid> parse(std::string_view text);

    constexpr const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
    constexpr bool is_nil() const noexcept { return bytes_ == std::array<std::uint8_t, 16>{}; }
    int version() const noexcept { return bytes_[6] >> 4; }

    /// Canonical lower-case form, 36 characters.
    std::string to_string() const;

    /// Milliseconds since the Unix epoch stored in a version-7 id.
    std::uint64_t unix_millis() const noexcept;

    friend constexpr auto operator<=>(const uuid&, const uuid&) noexcept = default;
    /// Two 64-bit compares instead of a byte-wise memcmp: ids are looked up on every step.
    friend bool operator==(const uuid& a, const uuid& b) noexcept
    {
        std::uint64_t x[2], y[2];
        std::memcpy(x, a.bytes_.data(), 16);
        std::memcpy(y, b.bytes_.data(), 16);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }

private:
    std::array<std::uint8_t, 16> bytes_{};
};

std::ostream& operator<<(std::ostream& os, const uuid& id);

/// Makes version-7 uuids: monotonic within one generator (a 12-bit counter fills the
/// sub-millisecond bits), random bits from a seeded xoshiro256** so a test can replay ids.
class uuid_generator {
public:
    /// Seeds from std::random_device.
    uuid_generator();
    explicit uuid_generator(std::uint64_t seed) noexcept;

    uuid next(std::chrono::system_clock::time_point now) noexcept;
    std::uint64_t random() noexcept;

private:
    std::array<std::uint64_t, 4> state_{};
    std::uint64_t last_millis_ = 0;
    std::uint16_t counter_ = 0;
};

/// Identifies one task (one run of a template).
using task_id = uuid;

} // namespace tasker

template <>
struct std::hash<tasker::uuid> {
    std::size_t operator()(const tasker::uuid& id) const noexcept
    {
        // The low 64 bits of a v7 id are random: a good hash as they are.
        std::uint64_t v;
        std::memcpy(&v, id.bytes().data() + 8, sizeof v);
        return static_cast<std::size_t>(v);
    }
};
