#pragma once

#include <tasker/engine/step_context.hpp>
#include <tasker/engine/step_result.hpp>
#include <tasker/error.hpp>
#include <tasker/model/task_template.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// A step handler: any callable taking the step's context and returning its result. A
/// thrown exception counts as a retryable error with the exception's message.
using step_handler = std::function<step_result(step_context&)>;

/// Handlers by the `handler.callable` name templates use.
class handler_registry {
public:
    /// Registers `h` under `callable`. Registering a name twice is a programming error
    /// (std::invalid_argument): two handlers for one step would be ambiguous.
    handler_registry& add(std::string callable, step_handler h);

    /// Registers one callable serving several methods (tasker-core's `handler.method`): a
    /// step runs `methods[its handler.method]`; the key "" serves steps that name no method.
    /// `check` refuses a template whose step names a method `callable` does not have.
    ///
    ///     handlers.add_methods("payments", {{"authorize", authorize}, {"capture", capture}});
    handler_registry& add_methods(std::string callable, std::map<std::string, step_handler, std::less<>> methods);

    /// The handler registered under `callable`, or nullptr.
    const step_handler* find(std::string_view callable) const noexcept;

    /// `errc::unknown_handler` listing every step of `t` whose callable nobody registered.
    result<void> check(const task_template& t) const;

    std::size_t size() const noexcept { return handlers_.size(); }

    /// Every registered callable name, sorted.
    std::vector<std::string> names() const;

private:
    std::map<std::string, step_handler, std::less<>> handlers_;
    std::map<std::string, std::vector<std::string>, std::less<>> methods_; // of add_methods callables
};

} // namespace tasker
