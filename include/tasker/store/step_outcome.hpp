#pragma once

#include <tasker/model/json.hpp>
#include <tasker/model/time.hpp>
#include <tasker/retry/error_kind.hpp>
#include <tasker/store/step_ref.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace tasker {

/// Why an attempt failed, as recorded with the step.
struct step_failure {
    error_kind kind = error_kind::retryable;
    std::string message;
    std::optional<duration> retry_after; ///< delay the handler asked for
    std::uint32_t attempt = 0;
};

/// What a worker reports for one attempt it ran.
struct step_outcome {
    step_ref ref;
    std::uint32_t attempt = 1;
    bool success = true;
    json_ptr result;                      ///< the handler's result on success
    std::optional<step_failure> failure;  ///< set when `success` is false
    time_point started_at;
    time_point finished_at;
};

enum class record_status : std::uint8_t {
    recorded, ///< the result is durable and the orchestrator is told
    ignored,  ///< too late: the attempt timed out, was cancelled or taken over
};

std::string_view to_string(record_status s) noexcept;
std::ostream& operator<<(std::ostream& os, record_status s);

} // namespace tasker
