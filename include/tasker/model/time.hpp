#pragma once

#include <chrono>

namespace tasker {

/// Wall-clock time as stored in every backend (microsecond precision survives PostgreSQL).
using time_point = std::chrono::system_clock::time_point;
using duration = std::chrono::system_clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

} // namespace tasker
