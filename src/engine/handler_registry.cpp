#include <tasker/engine/handler_registry.hpp>

#include <stdexcept>

namespace tasker {

handler_registry& handler_registry::add(std::string callable, step_handler h)
{
    if (callable.empty())
        throw std::invalid_argument("handler_registry::add: empty callable name");
    if (!h)
        throw std::invalid_argument("handler_registry::add: empty handler for '" + callable + "'");
    if (!handlers_.emplace(callable, std::move(h)).second)
        throw std::invalid_argument("handler_registry::add: '" + callable + "' is registered twice");
    return *this;
}

const step_handler* handler_registry::find(std::string_view callable) const noexcept
{
    auto it = handlers_.find(callable);
    return it == handlers_.end() ? nullptr : &it->second;
}

result<void> handler_registry::check(const task_template& t) const
{
    std::vector<problem> missing;
    for (std::size_t i = 0; i < t.steps.size(); ++i)
        if (!find(t.steps[i].handler.callable))
            missing.push_back({"steps[" + std::to_string(i) + "].handler.callable", 0, 0,
                               "step '" + t.steps[i].name + "' names handler '" + t.steps[i].handler.callable +
                                   "', which is not registered"});
    if (missing.empty())
        return {};
    return error{errc::unknown_handler, "template '" + t.key().to_string() + "' needs handlers nobody registered",
                 std::move(missing)};
}

std::vector<std::string> handler_registry::names() const
{
    std::vector<std::string> out;
    out.reserve(handlers_.size());
    for (const auto& [name, handler] : handlers_)
        out.push_back(name);
    return out;
}

} // namespace tasker
