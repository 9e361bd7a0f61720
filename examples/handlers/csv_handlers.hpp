#pragma once
// Handlers of examples/templates/csv_batch_processing.yaml, and the CSV file they read.

#include <tasker/engine/handler_registry.hpp>

#include <cstdint>
#include <string>

namespace examples {

/// What `write_inventory_csv` wrote: its rows and the sum of quantity × unit price.
struct inventory_file {
    std::int64_t rows = 0;
    std::int64_t total_value_cents = 0;
};

/// Writes `rows` rows of `row,sku,quantity,unit_price_cents` (and a header line) to `path`.
inventory_file write_inventory_csv(const std::string& path, std::int64_t rows);

/// Registers csv.analyze, csv.process_batch and csv.aggregate. A task context may name a
/// batch in `crash_batch`: its worker fails once, mid-batch, after a checkpoint, as a worker
/// killed there would, and its retry resumes from that checkpoint.
void register_csv_handlers(tasker::handler_registry& handlers);

} // namespace examples
