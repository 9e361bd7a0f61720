#include <tasker/store/timeline.hpp>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tasker {

namespace {

double ms_between(time_point from, time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

} // namespace

std::string format_timeline(const task_view& t)
{
    std::string out;
    const auto end = t.task_transitions.empty() ? t.updated_at : t.task_transitions.back().at;
    out += fmt::format("{} task {}: {} after {:.1f} ms\n", t.tmpl ? t.tmpl->key().to_string() : std::string("?"),
                       t.id.to_string(), to_string(t.state), ms_between(t.created_at, end));

    std::size_t width = 4;
    for (const auto& s : t.steps)
        width = std::max(width, s.name.size());

    for (const auto& s : t.steps) {
        // Group this step's transitions by attempt; being enqueued belongs to the attempt it
        // leads to (a transition records the attempt count after it).
        std::map<std::uint32_t, std::vector<const step_transition*>> by_attempt;
        for (const auto& tr : t.step_transitions)
            if (tr.step == s.index)
                by_attempt[tr.to == step_state::enqueued ? tr.attempt + 1 : tr.attempt].push_back(&tr);
        if (by_attempt.empty()) {
            out += fmt::format("  {:<{}}  -  {}\n", s.name, width, to_string(s.state));
            continue;
        }
        bool first = true;
        for (const auto& [attempt, trs] : by_attempt) {
            std::string line;
            time_point started{}, finished{};
            for (const auto* tr : trs) {
                if (!line.empty())
                    line += " -> ";
                // A step an outcome created, or a no-op worker completed without running, says so.
                const auto what = tr->event == step_event::create ? std::string_view("created")
                                  : tr->event == step_event::skip ? std::string_view("skipped (nothing to do)")
                                                                  : to_string(tr->to);
                line += fmt::format("{} @{:.1f}", what, ms_between(t.created_at, tr->at));
                if (tr->event == step_event::claim)
                    started = tr->at;
                if (tr->event == step_event::succeed || tr->event == step_event::fail)
                    finished = tr->at;
            }
            if (started != time_point{} && finished != time_point{})
                line += fmt::format("  (ran {:.1f} ms)", ms_between(started, finished));
            out += fmt::format("  {:<{}}  {}  {}\n", first ? s.name : std::string(), width,
                               attempt == 0 ? std::string("-") : std::to_string(attempt), line);
            first = false;
        }
        if (s.checkpoint && s.checkpoint->is_object()) {
            const auto& c = s.checkpoint->as_object();
            const auto* cursor = c.if_contains("cursor");
            const auto* items = c.if_contains("items_processed");
            out += fmt::format("  {:<{}}     last checkpoint: cursor {}, {} items processed\n", "", width,
                               cursor ? json::serialize(*cursor) : std::string("?"),
                               items ? json::serialize(*items) : std::string("?"));
        }
        if (s.last_error && !satisfies_dependencies(s.state))
            out += fmt::format("  {:<{}}     last error (attempt {}, {}): {}\n", "", width, s.last_error->attempt,
                               to_string(s.last_error->kind), s.last_error->message);
    }
    return out;
}

} // namespace tasker
