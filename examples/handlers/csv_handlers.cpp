#include "handlers/csv_handlers.hpp"

#include <tasker/engine/step_context.hpp>
#include <tasker/engine/step_result.hpp>

#include <fstream>
#include <sstream>

namespace examples {

namespace {

// One data row: `row,sku,quantity,unit_price_cents`.
std::int64_t row_value_cents(const std::string& line)
{
    std::istringstream in(line);
    std::string row, sku, quantity, price;
    std::getline(in, row, ',');
    std::getline(in, sku, ',');
    std::getline(in, quantity, ',');
    std::getline(in, price, ',');
    return std::stoll(quantity) * std::stoll(price);
}

} // namespace

inventory_file write_inventory_csv(const std::string& path, std::int64_t rows)
{
    std::ofstream out(path);
    out << "row,sku,quantity,unit_price_cents\n";
    inventory_file f{rows, 0};
    for (std::int64_t i = 0; i < rows; ++i) {
        const std::int64_t quantity = 1 + i % 17, price = 100 + (i * 37) % 900;
        out << i << ",SKU-" << i % 250 << ',' << quantity << ',' << price << '\n';
        f.total_value_cents += quantity * price;
    }
    return f;
}

void register_csv_handlers(tasker::handler_registry& handlers)
{
    handlers.add("csv.analyze", [](tasker::step_context& ctx) {
        std::ifstream in(std::string(ctx.context().at("path").as_string()));
        if (!in)
            return tasker::permanent_error("cannot open the CSV file");
        std::string line;
        std::int64_t rows = -1; // the header line
        while (std::getline(in, line))
            ++rows;
        if (rows <= 0)
            return tasker::no_batches({{"rows", 0}});
        const auto size = ctx.config().at("batch_size").to_number<std::int64_t>();
        return tasker::create_batches("process_csv_batch", tasker::even_batches(rows, size), rows, {{"rows", rows}});
    });

    handlers.add("csv.process_batch", [](tasker::step_context& ctx) {
        const auto batch = ctx.batch();
        if (!batch)
            return tasker::permanent_error("not a batch worker");
        const auto every = ctx.config().at("checkpoint_every").to_number<std::int64_t>();
        auto progress = ctx.last_checkpoint().value_or(tasker::batch_checkpoint{batch->start, 0, 0});
        const auto resumed_from = progress.cursor;
        std::int64_t value = progress.accumulated.to_number<std::int64_t>();

        std::ifstream in(std::string(ctx.context().at("path").as_string()));
        std::string line;
        std::getline(in, line); // header
        for (std::int64_t i = 0; i < progress.cursor && std::getline(in, line); ++i) {
        }
        const auto* crash = ctx.context().as_object().if_contains("crash_batch");
        const bool crash_here = crash && crash->as_string() == batch->batch_id && ctx.attempt() == 1;
        for (auto i = progress.cursor; i < batch->end && std::getline(in, line); ++i) {
            value += row_value_cents(line);
            ++progress.items_processed;
            if ((i + 1 - batch->start) % every == 0) {
                progress.cursor = i + 1;
                progress.accumulated = value;
                if (auto kept = ctx.checkpoint(progress); !kept)
                    return tasker::retryable_error("checkpoint not kept: " + kept.error().message);
                if (crash_here && i + 1 - batch->start == 3 * every)
                    return tasker::retryable_error("worker killed mid-batch (simulated) after row " +
                                                   std::to_string(i));
            }
        }
        return tasker::success({{"value_cents", value},
                                {"rows", batch->end - batch->start},
                                {"resumed_from", resumed_from}});
    });

    handlers.add("csv.aggregate", [](tasker::step_context& ctx) {
        std::int64_t value = 0, rows = 0, batches = 0;
        ctx.for_each_result([&](std::string_view name, const tasker::json::value& v) {
            if (name.rfind("process_csv_batch_", 0) != 0 || !v.is_object() || !v.as_object().contains("rows"))
                return;
            value += v.at("value_cents").to_number<std::int64_t>();
            rows += v.at("rows").to_number<std::int64_t>();
            ++batches;
        });
        return tasker::success({{"total_value_cents", value}, {"rows", rows}, {"batches", batches}});
    });
}

} // namespace examples
