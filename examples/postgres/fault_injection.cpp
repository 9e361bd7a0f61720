#include "fault_injection.hpp"

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

namespace examples {

namespace {

/// A number in [0, 1) fixed by the seed and the attempt: FNV-1a over the attempt's names,
/// then splitmix64's finaliser to spread the bits.
double draw(std::uint64_t seed, const tasker::step_context& ctx)
{
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    const auto mix = [&h](std::string_view bytes) {
        for (unsigned char c : bytes)
            h = (h ^ c) * 0x100000001b3ULL;
    };
    mix(ctx.task().to_string());
    mix(ctx.step_name());
    mix(std::to_string(ctx.attempt()));
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return static_cast<double>(h >> 11) * 0x1.0p-53;
}

} // namespace

tasker::handler_registry inject_faults(const tasker::handler_registry& handlers, fault_injection faults)
{
    tasker::handler_registry out;
    for (const auto& name : handlers.names()) {
        out.add(name, [faults, inner = *handlers.find(name)](tasker::step_context& ctx) -> tasker::step_result {
            if (faults.step_delay > std::chrono::milliseconds::zero()) {
                ctx.log().info("event=step_delayed delay_ms={}", faults.step_delay.count());
                std::mutex m;
                std::condition_variable_any cv;
                std::unique_lock lock(m);
                auto stop = ctx.stop_token();
                cv.wait_for(lock, stop, faults.step_delay, [] { return false; }); // the delay, or until stopped
                if (stop.stop_requested())
                    return tasker::retryable_error("stopped during the injected delay");
            }
            if (draw(faults.seed, ctx) < faults.fail_rate)
                return tasker::retryable_error("injected failure (tasker-node --fail-rate)");
            return inner(ctx);
        });
    }
    return out;
}

} // namespace examples
