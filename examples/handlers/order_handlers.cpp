#include "order_handlers.hpp"

#include <boost/json/object.hpp>

#include <cmath>
#include <string>

namespace examples {

namespace json = tasker::json;

void register_order_handlers(tasker::handler_registry& handlers)
{
    handlers.add("orders.validate_order", [](tasker::step_context& ctx) -> tasker::step_result {
        const auto& order = ctx.context().as_object();
        const auto& items = order.at("items").as_array();
        if (items.empty())
            return tasker::permanent_error("the order has no items");
        double subtotal = 0;
        for (const auto& item : items)
            subtotal += item.at("quantity").to_number<double>() * item.at("price").to_number<double>();
        const double tax = std::round(subtotal * ctx.config().at("tax_rate").to_number<double>() * 100) / 100;
        return tasker::success({{"customer_id", order.at("customer").at("id")},
                                {"item_count", items.size()},
                                {"subtotal", subtotal},
                                {"total", subtotal + tax}});
    });

    handlers.add("orders.reserve_inventory", [](tasker::step_context& ctx) -> tasker::step_result {
        json::array reservations;
        for (const auto& item : ctx.context().at("items").as_array())
            reservations.push_back(
                json::object{{"sku", item.at("sku")}, {"quantity", item.at("quantity")},
                             {"reservation_id", "res_" + std::string(item.at("sku").as_string()) + "_" +
                                                    ctx.task().to_string().substr(0, 8)}});
        return tasker::success({{"reservations", std::move(reservations)},
                                {"expires_in_minutes", ctx.config().at("reservation_minutes")}});
    });

    handlers.add("orders.process_payment", [](tasker::step_context& ctx) -> tasker::step_result {
        const auto& payment = ctx.context().at("payment");
        if (payment.at("token").as_string() == "tok_declined")
            return tasker::permanent_error("card declined by issuer");
        const auto failures = ctx.config().at("simulate_gateway_failures").to_number<std::uint32_t>();
        if (ctx.attempt() <= failures)
            return tasker::retryable_error("payment gateway timed out (attempt " + std::to_string(ctx.attempt()) +
                                           ")");
        const auto* order = ctx.result_of("validate_order");
        return tasker::success({{"payment_id", "pay_" + ctx.task().to_string().substr(0, 8)},
                                {"amount", order->at("total")},
                                {"method", payment.at("method")},
                                {"attempts", ctx.attempt()}});
    });

    handlers.add("orders.ship_order", [](tasker::step_context& ctx) -> tasker::step_result {
        const auto* payment = ctx.result_of("process_payment");
        if (!payment)
            return tasker::permanent_error("ship_order needs process_payment's result");
        return tasker::success({{"tracking_number", "TRK" + ctx.task().to_string().substr(0, 8)},
                                {"carrier_method", ctx.context().at("shipping").at("method")},
                                {"paid_with", payment->at("payment_id")}});
    });
}

json::value sample_order(const char* token)
{
    return json::object{
        {"customer", {{"id", 42}, {"name", "Ada Lovelace"}, {"email", "ada@example.com"}}},
        {"items", json::array{json::object{{"sku", "WIDGET-1"}, {"quantity", 2}, {"price", 19.99}},
                              json::object{{"sku", "GADGET-7"}, {"quantity", 1}, {"price", 5.0}}}},
        {"payment", {{"method", "credit_card"}, {"token", token}}},
        {"shipping", {{"method", "express"}, {"address", {{"street", "1 Analytical Way"}, {"city", "London"}}}}},
    };
}

} // namespace examples
