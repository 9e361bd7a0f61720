#pragma once

#include <tasker/store/task_view.hpp>

#include <string>

namespace tasker {

/// A readable history of a task for people: a header line (template, id, end state, total
/// time), then per step each attempt with its state changes, times relative to the task's
/// creation, its duration and, for failures, the recorded error. Used by the demo, by the
/// testing kit when an expectation fails, and by the CLI.
std::string format_timeline(const task_view& task);

} // namespace tasker
