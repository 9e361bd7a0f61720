#include <tasker/engine/handler_registry.hpp>

#include <algorithm>
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

handler_registry& handler_registry::add_methods(std::string callable,
                                                std::map<std::string, step_handler, std::less<>> methods)
{
    if (methods.empty())
        throw std::invalid_argument("handler_registry::add_methods: no methods for '" + callable + "'");
    std::vector<std::string> names;
    for (const auto& [name, h] : methods) {
        if (!h)
            throw std::invalid_argument("handler_registry::add_methods: empty handler for '" + callable + "' method '" +
                                        name + "'");
        names.push_back(name);
    }
    auto dispatch = [callable, methods = std::move(methods)](step_context& ctx) -> step_result {
        auto it = methods.find(ctx.method());
        if (it == methods.end())
            return permanent_error("handler '" + callable + "' has no method '" + std::string(ctx.method()) + "'");
        return it->second(ctx);
    };
    add(callable, std::move(dispatch));
    methods_.emplace(std::move(callable), std::move(names));
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
    for (std::size_t i = 0; i < t.steps.size(); ++i) {
        const auto& h = t.steps[i].handler;
        if (!find(h.callable)) {
            missing.push_back({"steps[" + std::to_string(i) + "].handler.callable", 0, 0,
                               "step '" + t.steps[i].name + "' names handler '" + h.callable +
                                   "', which is not registered"});
            continue;
        }
        auto m = methods_.find(h.callable);
        if (m == methods_.end() || std::find(m->second.begin(), m->second.end(), h.method) != m->second.end())
            continue;
        std::string known;
        for (const auto& name : m->second)
            known += (known.empty() ? "'" : ", '") + name + "'";
        missing.push_back({"steps[" + std::to_string(i) + "].handler.method", 0, 0,
                           "step '" + t.steps[i].name + "' names method '" + h.method + "' of handler '" + h.callable +
                               "', which has only " + known});
    }
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
