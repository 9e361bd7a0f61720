#pragma once

#include <cstdint>
#include <random>

namespace tasker::detail {

/// `seed`, or fresh entropy when it is 0: the "seed = 0 means random" convention of every
/// store's options (a fixed seed replays ids and retry jitter).
inline std::uint64_t seed_or_random(std::uint64_t seed)
{
    if (seed != 0)
        return seed;
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
}

} // namespace tasker::detail
