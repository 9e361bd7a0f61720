#pragma once
// What decision and batchable steps decide, and the input and checkpoints of the batch
// workers they create. Each travels as JSON inside a step's result or record, in
// tasker-core's shapes, so its handlers' results read the same here.

#include <tasker/error.hpp>
#include <tasker/model/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tasker {

/// A decision step's outcome: the steps to create, by name, or none ("no branches").
///
/// In a result: `{"decision_point_outcome": {"type": "create_steps", "step_names": [...]}}`
/// or `{"decision_point_outcome": {"type": "no_branches"}}`.
struct decision_outcome {
    std::vector<std::string> steps; ///< empty: no branches

    friend bool operator==(const decision_outcome&, const decision_outcome&) = default;
};

/// The slice of items one batch worker processes: `[start, end)` of `total` items.
///
/// A worker's input, and an element of `cursor_configs` in a batch outcome:
/// `{"batch_id": "001", "start_cursor": 0, "end_cursor": 200, "batch_size": 200}`.
struct batch_cursor {
    std::string batch_id; ///< `[a-z0-9_]`, 1 to 16 characters: the worker is named `<template>_<batch_id>`
    std::int64_t start = 0;
    std::int64_t end = 0;
    std::int64_t size = 0;  ///< items per batch as the batchable step planned it
    std::int64_t total = 0; ///< items in all batches together

    friend bool operator==(const batch_cursor&, const batch_cursor&) = default;
};

/// A batchable step's outcome: the workers to create from batch worker step
/// `worker_template`, one per cursor, or none ("no batches": one no-op worker completes at
/// once, so what converges on the workers still runs).
///
/// In a result: `{"batch_processing_outcome": {"type": "create_batches",
/// "worker_template_name": "...", "worker_count": n, "cursor_configs": [...],
/// "total_items": n}}` or `{"batch_processing_outcome": {"type": "no_batches"}}`.
struct batch_outcome {
    std::string worker_template;
    std::vector<batch_cursor> batches; ///< empty: no batches
    std::int64_t total_items = 0;

    friend bool operator==(const batch_outcome&, const batch_outcome&) = default;
};

/// Progress a batch worker made durable: the next item to process, how many it processed,
/// and what it accumulated. A retry, or the worker that takes over a lost one, resumes from
/// here. `{"cursor": n, "items_processed": n, "accumulated": ...}`.
struct batch_checkpoint {
    std::int64_t cursor = 0;
    std::int64_t items_processed = 0;
    json::value accumulated;

    friend bool operator==(const batch_checkpoint&, const batch_checkpoint&) = default;
};

/// A step result carrying `o` (what a decision handler returns).
json::value to_result(const decision_outcome& o);
/// A step result carrying `o` (what a batchable handler returns).
json::value to_result(const batch_outcome& o);
json::value to_json(const batch_cursor& c);
json::value to_json(const batch_checkpoint& c);

/// The decision outcome in a decision step's result, or why there is none usable
/// (`errc::invalid_outcome`, the message saying what is wrong and where).
result<decision_outcome> decision_outcome_of(const json::value& step_result);
/// The batch outcome in a batchable step's result, or why there is none usable.
result<batch_outcome> batch_outcome_of(const json::value& step_result);
result<batch_cursor> batch_cursor_of(const json::value& v);
result<batch_checkpoint> batch_checkpoint_of(const json::value& v);

} // namespace tasker
