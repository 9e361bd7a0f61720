// The Boost.MSM task machine. Its transition table below is the only definition of which
// task transitions are legal; everything else in tasker reads it through task_machine.
#include <tasker/state/task_machine.hpp>

#include "msm_support.hpp"

#include <boost/mpl/vector/vector50.hpp>

#include <string>

namespace tasker {

namespace {

namespace ms = detail::msm_support;
using boost::msm::front::Row;

template <task_state S>
using st = ms::state_tag<S>;
template <task_event E>
using ev = ms::event_tag<E>;

using ts = task_state;
using te = task_event;

struct task_machine_def : ms::rejecting_front<task_machine_def> {
    using initial_state = st<ts::pending>;

    // clang-format off
    struct transition_table : boost::mpl::vector41<
        //  from                               event                         to
        Row<st<ts::pending>,                  ev<te::start>,                st<ts::initializing>>,
        Row<st<ts::pending>,                  ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::initializing>,             ev<te::ready_steps_found>,    st<ts::enqueuing_steps>>,
        Row<st<ts::initializing>,             ev<te::no_dependencies_ready>, st<ts::waiting_for_dependencies>>,
        Row<st<ts::initializing>,             ev<te::retry_scheduled>,      st<ts::waiting_for_retry>>,
        Row<st<ts::initializing>,             ev<te::all_steps_successful>, st<ts::complete>>,
        Row<st<ts::initializing>,             ev<te::permanent_failure>,    st<ts::blocked_by_failures>>,
        Row<st<ts::initializing>,             ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::enqueuing_steps>,          ev<te::steps_enqueued>,       st<ts::steps_in_process>>,
        Row<st<ts::enqueuing_steps>,          ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::steps_in_process>,         ev<te::step_completed>,       st<ts::evaluating_results>>,
        Row<st<ts::steps_in_process>,         ev<te::step_failed>,          st<ts::evaluating_results>>,
        Row<st<ts::steps_in_process>,         ev<te::retry_ready>,          st<ts::enqueuing_steps>>,
        Row<st<ts::steps_in_process>,         ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::evaluating_results>,       ev<te::ready_steps_found>,    st<ts::enqueuing_steps>>,
        Row<st<ts::evaluating_results>,       ev<te::no_dependencies_ready>, st<ts::waiting_for_dependencies>>,
        Row<st<ts::evaluating_results>,       ev<te::retry_scheduled>,      st<ts::waiting_for_retry>>,
        Row<st<ts::evaluating_results>,       ev<te::all_steps_successful>, st<ts::complete>>,
        Row<st<ts::evaluating_results>,       ev<te::permanent_failure>,    st<ts::blocked_by_failures>>,
        Row<st<ts::evaluating_results>,       ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::waiting_for_dependencies>, ev<te::step_completed>,       st<ts::evaluating_results>>,
        Row<st<ts::waiting_for_dependencies>, ev<te::step_failed>,          st<ts::evaluating_results>>,
        Row<st<ts::waiting_for_dependencies>, ev<te::retry_ready>,          st<ts::enqueuing_steps>>,
        Row<st<ts::waiting_for_dependencies>, ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::waiting_for_retry>,        ev<te::retry_ready>,          st<ts::enqueuing_steps>>,
        Row<st<ts::waiting_for_retry>,        ev<te::step_completed>,       st<ts::evaluating_results>>,
        Row<st<ts::waiting_for_retry>,        ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::blocked_by_failures>,      ev<te::give_up>,              st<ts::error>>,
        Row<st<ts::blocked_by_failures>,      ev<te::failures_resolved>,    st<ts::evaluating_results>>,
        Row<st<ts::blocked_by_failures>,      ev<te::manual_resolution>,    st<ts::resolved_manually>>,
        Row<st<ts::blocked_by_failures>,      ev<te::cancel>,               st<ts::cancelled>>,

        Row<st<ts::error>,                    ev<te::reset>,                st<ts::pending>>,
        Row<st<ts::error>,                    ev<te::manual_resolution>,    st<ts::resolved_manually>>,

        // Staleness: a task that stays too long anywhere short of its end gives up.
        Row<st<ts::pending>,                  ev<te::expire>,               st<ts::error>>,
        Row<st<ts::initializing>,             ev<te::expire>,               st<ts::error>>,
        Row<st<ts::enqueuing_steps>,          ev<te::expire>,               st<ts::error>>,
        Row<st<ts::steps_in_process>,         ev<te::expire>,               st<ts::error>>,
        Row<st<ts::evaluating_results>,       ev<te::expire>,               st<ts::error>>,
        Row<st<ts::waiting_for_dependencies>, ev<te::expire>,               st<ts::error>>,
        Row<st<ts::waiting_for_retry>,        ev<te::expire>,               st<ts::error>>,
        Row<st<ts::blocked_by_failures>,      ev<te::expire>,               st<ts::error>>
    > {};
    // clang-format on
};

using machine_t = boost::msm::back::state_machine<task_machine_def>;
using ids_t = ms::state_ids<machine_t, task_state, task_state_count>;

const ids_t& ids()
{
    static const ids_t instance;
    return instance;
}

void rehydrate(machine_t& m, task_state s)
{
    ms::restore_archive ar{ids().id_of[static_cast<std::size_t>(s)]};
    m.serialize(ar, 0);
}

result<task_state> run(machine_t& m, task_event e)
{
    const task_state from = ids().enum_of[static_cast<std::size_t>(m.current_state()[0])];
    m.rejected = false;
    ms::dispatch(m, e, std::make_index_sequence<task_event_count>{});
    if (m.rejected)
        return error{errc::illegal_transition, "task cannot '" + std::string(to_string(e)) + "' in state '" +
                                                   std::string(to_string(from)) + "'"};
    return ids().enum_of[static_cast<std::size_t>(m.current_state()[0])];
}

// (state, event) -> state, or -1: filled once by running MSM on every pair.
struct lookup_table {
    std::array<std::array<int, task_event_count>, task_state_count> next{};
    std::vector<task_rule> rules = ms::rules_of<task_rule, task_machine_def::transition_table>();

    lookup_table()
    {
        machine_t m;
        m.start();
        for (std::size_t s = 0; s < task_state_count; ++s)
            for (std::size_t e = 0; e < task_event_count; ++e) {
                rehydrate(m, static_cast<task_state>(s));
                auto r = run(m, static_cast<task_event>(e));
                next[s][e] = r ? static_cast<int>(*r) : -1;
            }
    }
};

const lookup_table& table()
{
    static const lookup_table instance;
    return instance;
}

} // namespace

struct task_machine::impl {
    machine_t machine;
};

result<task_state> task_machine::next(task_state from, task_event event)
{
    const int to = table().next[static_cast<std::size_t>(from)][static_cast<std::size_t>(event)];
    if (to < 0)
        return error{errc::illegal_transition, "task cannot '" + std::string(to_string(event)) + "' in state '" +
                                                   std::string(to_string(from)) + "'"};
    return static_cast<task_state>(to);
}

std::span<const task_rule> task_machine::rules() noexcept { return table().rules; }

task_machine::task_machine(task_state state) : impl_(std::make_unique<impl>())
{
    impl_->machine.start();
    rehydrate(impl_->machine, state);
}

task_machine::task_machine(task_machine&&) noexcept = default;
task_machine& task_machine::operator=(task_machine&&) noexcept = default;
task_machine::~task_machine() = default;

task_state task_machine::state() const noexcept
{
    return ids().enum_of[static_cast<std::size_t>(impl_->machine.current_state()[0])];
}

result<task_state> task_machine::process(task_event event) { return run(impl_->machine, event); }

} // namespace tasker
