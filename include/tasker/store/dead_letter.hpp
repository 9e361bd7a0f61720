#pragma once

#include <tasker/model/json.hpp>
#include <tasker/model/template_key.hpp>
#include <tasker/model/time.hpp>
#include <tasker/model/uuid.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// Why a task needs a person.
enum class dead_letter_cause : std::uint8_t {
    retries_exhausted, ///< a step failed on every attempt it had
    permanent_failure, ///< a step failed with an error that is never retried
    staleness,         ///< the task passed one of its lifecycle limits
};
inline constexpr std::size_t dead_letter_cause_count = 3;

/// Where an investigation stands. `pending` and `investigating` are open; the others closed.
enum class dead_letter_status : std::uint8_t {
    pending,           ///< nobody has looked yet
    investigating,     ///< someone is on it
    manually_resolved, ///< fixed by hand: steps reset, resolved or completed, or the task resolved
    permanently_failed, ///< given up on: the task stays in error
    cancelled,         ///< the task was cancelled
};
inline constexpr std::size_t dead_letter_status_count = 5;

constexpr bool is_open(dead_letter_status s) noexcept
{
    return s == dead_letter_status::pending || s == dead_letter_status::investigating;
}

std::string_view to_string(dead_letter_cause c) noexcept;
std::string_view to_string(dead_letter_status s) noexcept;
std::optional<dead_letter_cause> dead_letter_cause_from_string(std::string_view s) noexcept;
std::optional<dead_letter_status> dead_letter_status_from_string(std::string_view s) noexcept;
std::ostream& operator<<(std::ostream& os, dead_letter_cause c);
std::ostream& operator<<(std::ostream& os, dead_letter_status s);

/// A note an investigator left on an entry.
struct dead_letter_note {
    time_point at;
    std::string author;
    std::string text;
    friend bool operator==(const dead_letter_note&, const dead_letter_note&) = default;
};

/// An entry of the dead-letter queue: a task that needs a person, why, what it looked like
/// then, and where its investigation stands. A task gets an entry each time it ends in error
/// (or goes stale); the latest is "the entry of the task".
struct dead_letter {
    std::uint64_t id = 0;        ///< increasing: later entries have larger ids
    task_id task;
    template_key key;
    dead_letter_cause cause = dead_letter_cause::retries_exhausted;
    std::string reason;          ///< in words: which steps failed and their last error, or the limit passed
    std::vector<std::string> failed_steps;
    time_point at;               ///< when the entry was made
    /// The task and its steps when the entry was made (`dead_letter_snapshot`): kept when the
    /// task itself is removed by retention.
    json_ptr snapshot;
    std::int32_t priority = 0;   ///< the task's priority: the investigation queue takes higher first
    dead_letter_status status = dead_letter_status::pending;
    std::vector<dead_letter_note> notes;
    std::string resolved_by;     ///< who closed it (empty while open)
    std::optional<time_point> resolved_at;
    time_point updated_at;
};

/// In which order `dead_letters` lists entries.
enum class dead_letter_order : std::uint8_t {
    newest,        ///< latest first
    investigation, ///< open entries only, higher priority first, then oldest first
};

/// Which entries to list; unset fields match everything.
struct dead_letter_filter {
    std::optional<dead_letter_status> status;
    std::optional<dead_letter_cause> cause;
    std::optional<std::string> namespace_name;
    dead_letter_order order = dead_letter_order::newest;
    std::size_t limit = 100;   ///< 1..1000
    std::string cursor;        ///< from the previous page's `next_cursor`; empty: the first page
};

/// A page of entries; `next_cursor` is empty on the last page.
struct dead_letter_page {
    std::vector<dead_letter> entries;
    std::string next_cursor;
};

/// Entries by cause and status.
struct dead_letter_counts {
    std::array<std::array<std::uint64_t, dead_letter_status_count>, dead_letter_cause_count> by{};

    std::uint64_t of(dead_letter_cause c, dead_letter_status s) const noexcept
    {
        return by[static_cast<std::size_t>(c)][static_cast<std::size_t>(s)];
    }
    std::uint64_t of(dead_letter_status s) const noexcept;
    std::uint64_t of(dead_letter_cause c) const noexcept;
    std::uint64_t total() const noexcept;
};

/// An investigator's change to an entry: a new status, a note, or both, by `actor`.
struct dead_letter_update {
    std::optional<dead_letter_status> status;
    std::string note;
    std::string actor;
};

} // namespace tasker
