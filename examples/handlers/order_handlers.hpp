#pragma once

#include <tasker/engine/handler_registry.hpp>
#include <tasker/model/json.hpp>

namespace examples {

/// Registers the order fulfillment handlers: `orders.validate_order`,
/// `orders.reserve_inventory`, `orders.process_payment` (fails with a retryable gateway
/// error on its first `simulate_gateway_failures` attempts; a "tok_declined" token is a
/// permanent decline) and `orders.ship_order`.
void register_order_handlers(tasker::handler_registry& handlers);

/// A valid order; `token` "tok_declined" makes the payment fail for good.
tasker::json::value sample_order(const char* token = "tok_visa_4242");

} // namespace examples
