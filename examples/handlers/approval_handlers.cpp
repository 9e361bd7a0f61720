#include "handlers/approval_handlers.hpp"

#include <tasker/engine/step_context.hpp>
#include <tasker/engine/step_result.hpp>

namespace examples {

namespace {

std::vector<std::string> route(double amount, double small, double large)
{
    if (amount < small)
        return {"auto_approve"};
    if (amount < large)
        return {"manager_approval"};
    return {"manager_approval", "finance_review"};
}

tasker::step_result approve(tasker::step_context& ctx)
{
    return tasker::success({{"approved_by", ctx.step_name()}});
}

} // namespace

std::vector<std::string> expected_approvals(double amount) { return route(amount, 1000, 5000); }

void register_approval_handlers(tasker::handler_registry& handlers)
{
    handlers.add("approval.validate_request", [](tasker::step_context& ctx) {
        const auto& request = ctx.context().as_object();
        if (request.at("requester").as_string().empty())
            return tasker::permanent_error("the request names no requester");
        return tasker::success({{"amount", request.at("amount")}});
    });
    handlers.add("approval.routing_decision", [](tasker::step_context& ctx) {
        const double amount = ctx.result_of("validate_request")->at("amount").to_number<double>();
        const auto& limits = ctx.config().as_object();
        auto steps = route(amount, limits.at("small").to_number<double>(), limits.at("large").to_number<double>());
        return tasker::create_steps(std::move(steps), {{"amount", amount}});
    });
    handlers.add("approval.auto_approve", approve);
    handlers.add("approval.manager_approval", approve);
    handlers.add("approval.finance_review", approve);
    handlers.add("approval.finalize_approval", [](tasker::step_context& ctx) {
        tasker::json::array approvals;
        ctx.for_each_result([&](std::string_view, const tasker::json::value& v) {
            if (const auto* o = v.if_object(); o && o->contains("approved_by"))
                approvals.push_back(o->at("approved_by"));
        });
        return tasker::success({{"status", "approved"}, {"approvals", std::move(approvals)}});
    });
}

} // namespace examples
