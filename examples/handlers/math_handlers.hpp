#pragma once

#include <tasker/engine/handler_registry.hpp>
#include <tasker/model/task_template.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace examples {

/// Results are kept modulo this prime so that squaring many times stays exact.
inline constexpr std::int64_t math_modulus = 1'000'000'007;

/// Registers `math.square_product`: a step's result is the product of its direct
/// dependencies' results (for a root: the task's `even_number`), squared, modulo p.
void register_math_handlers(tasker::handler_registry& handlers);

/// What every step of `t` must produce for `even_number`, computed without tasker: the
/// demo and the tests compare the real results against it.
std::map<std::string, std::int64_t> expected_math_results(const tasker::task_template& t, std::int64_t even_number);

} // namespace examples
