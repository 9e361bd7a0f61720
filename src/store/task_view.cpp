#include <tasker/store/step_ref.hpp>
#include <tasker/store/task_view.hpp>

#include <map>
#include <ostream>

namespace tasker {

std::ostream& operator<<(std::ostream& os, const step_ref& r) { return os << r.task << '#' << r.step; }

namespace {

const std::string& actor_of(const std::shared_ptr<const change_origin>& o) noexcept
{
    static const std::string none;
    return o ? o->actor : none;
}

const std::string& reason_of(const std::shared_ptr<const change_origin>& o) noexcept
{
    static const std::string none;
    return o ? o->reason : none;
}

} // namespace

const std::string& task_transition::actor() const noexcept { return actor_of(origin); }
const std::string& task_transition::reason() const noexcept { return reason_of(origin); }
const std::string& step_transition::actor() const noexcept { return actor_of(origin); }
const std::string& step_transition::reason() const noexcept { return reason_of(origin); }

const step_view* task_view::step(std::string_view name) const noexcept
{
    for (const auto& s : steps)
        if (s.name == name)
            return &s;
    return nullptr;
}

std::vector<step_attempt> task_view::attempts(std::optional<std::uint32_t> only) const
{
    // An attempt starts with its claim (a transition into in_progress) and ends with the
    // step's next transition out of in_progress. Attempt numbers repeat after a reset, so a
    // failure belongs to the k-th attempt numbered n of its step when it is the k-th failure
    // recorded for (step, n).
    std::vector<step_attempt> out;
    std::map<std::uint32_t, std::size_t> running; // step -> its attempt in `out`
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> seen_failures;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::size_t>> attempts_numbered;
    for (const auto& t : step_transitions) {
        if (only && t.step != *only)
            continue;
        if (t.from == step_state::in_progress) {
            if (auto it = running.find(t.step); it != running.end()) {
                out[it->second].ended_at = t.at;
                out[it->second].outcome = t.event;
                running.erase(it);
            }
        }
        if (t.to == step_state::in_progress) {
            step_attempt a;
            a.step = t.step;
            a.number = t.attempt;
            a.worker = t.actor();
            a.started_at = t.at;
            running[t.step] = out.size();
            attempts_numbered[{t.step, t.attempt}].push_back(out.size());
            out.push_back(std::move(a));
        }
    }
    for (const auto& f : failures) {
        if (only && f.step != *only)
            continue;
        const std::pair key{f.step, f.failure.attempt};
        const auto k = seen_failures[key]++;
        auto it = attempts_numbered.find(key);
        if (it != attempts_numbered.end() && k < it->second.size())
            out[it->second[k]].failure = f.failure;
    }
    return out;
}

} // namespace tasker
