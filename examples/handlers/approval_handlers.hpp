#pragma once
// Handlers of examples/templates/conditional_approval.yaml: a decision routes by amount.

#include <tasker/engine/handler_registry.hpp>

#include <string>
#include <vector>

namespace examples {

/// Registers approval.validate_request, routing_decision, auto_approve, manager_approval,
/// finance_review and finalize_approval.
void register_approval_handlers(tasker::handler_registry& handlers);

/// The approval steps the routing decision creates for `amount` (thresholds 1000 and 5000).
std::vector<std::string> expected_approvals(double amount);

} // namespace examples
