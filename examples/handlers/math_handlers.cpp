#include "math_handlers.hpp"

namespace examples {

namespace {

std::int64_t square_mod(std::int64_t x) { return static_cast<std::int64_t>((__int128{x} * x) % math_modulus); }
std::int64_t mul_mod(std::int64_t a, std::int64_t b) { return static_cast<std::int64_t>((__int128{a} * b) % math_modulus); }

} // namespace

void register_math_handlers(tasker::handler_registry& handlers)
{
    handlers.add("math.square_product", [](tasker::step_context& ctx) -> tasker::step_result {
        const auto& deps = ctx.step().dependencies;
        std::int64_t product = 1;
        if (deps.empty()) {
            product = ctx.context().at("even_number").to_number<std::int64_t>();
        } else {
            for (const auto& d : deps) {
                const auto* r = ctx.result_of(d);
                if (!r || !r->is_object() || !r->as_object().contains("value"))
                    return tasker::permanent_error("dependency '" + d + "' has no value");
                product = mul_mod(product, r->as_object().at("value").to_number<std::int64_t>());
            }
        }
        return tasker::success({{"value", square_mod(product % math_modulus)}});
    });
}

std::map<std::string, std::int64_t> expected_math_results(const tasker::task_template& t, std::int64_t even_number)
{
    std::map<std::string, std::int64_t> values;
    for (auto i : t.graph.topological_order()) {
        const auto& step = t.steps[i];
        std::int64_t product = step.dependencies.empty() ? even_number : 1;
        for (const auto& d : step.dependencies)
            product = mul_mod(product, values.at(d));
        values[step.name] = square_mod(product % math_modulus);
    }
    return values;
}

} // namespace examples
