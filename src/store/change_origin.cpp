#include <tasker/store/change_origin.hpp>

#include <unistd.h>

#include <array>

namespace tasker {

std::string worker_actor(const uuid& owner)
{
    return owner.is_nil() ? std::string("worker") : "worker:" + owner.to_string();
}

std::string process_name()
{
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0)
        host[0] = '\0';
    return std::string(host.data()) + "/" + std::to_string(getpid());
}

} // namespace tasker
