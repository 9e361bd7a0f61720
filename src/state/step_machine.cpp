// The Boost.MSM step machine. Its transition table below is the only definition of which
// step transitions are legal; everything else in tasker reads it through step_machine.
#include <tasker/state/step_machine.hpp>

#include "msm_support.hpp"

#include <boost/mpl/vector/vector40.hpp>

#include <string>

namespace tasker {

namespace {

namespace ms = detail::msm_support;
using boost::msm::front::Row;

template <step_state S>
using st = ms::state_tag<S>;
template <step_event E>
using ev = ms::event_tag<E>;

using ss = step_state;
using se = step_event;

struct step_machine_def : ms::rejecting_front<step_machine_def> {
    using initial_state = st<ss::pending>;

    // clang-format off
    struct transition_table : boost::mpl::vector38<
        //  from                                          event                  to
        Row<st<ss::pending>,                             ev<se::enqueue>,        st<ss::enqueued>>,
        Row<st<ss::pending>,                             ev<se::cancel>,         st<ss::cancelled>>,
        Row<st<ss::pending>,                             ev<se::resolve>,        st<ss::resolved_manually>>,
        Row<st<ss::pending>,                             ev<se::create>,         st<ss::pending>>,
        Row<st<ss::pending>,                             ev<se::skip>,           st<ss::complete>>,

        Row<st<ss::enqueued>,                            ev<se::claim>,          st<ss::in_progress>>,
        Row<st<ss::enqueued>,                            ev<se::cancel>,         st<ss::cancelled>>,
        Row<st<ss::enqueued>,                            ev<se::resolve>,        st<ss::resolved_manually>>,

        Row<st<ss::in_progress>,                         ev<se::succeed>,        st<ss::enqueued_for_orchestration>>,
        Row<st<ss::in_progress>,                         ev<se::fail>,           st<ss::enqueued_as_error_for_orchestration>>,
        Row<st<ss::in_progress>,                         ev<se::cancel>,         st<ss::cancelled>>,
        Row<st<ss::in_progress>,                         ev<se::resolve>,        st<ss::resolved_manually>>,

        Row<st<ss::enqueued_for_orchestration>,          ev<se::complete>,       st<ss::complete>>,
        Row<st<ss::enqueued_for_orchestration>,          ev<se::cancel>,         st<ss::cancelled>>,
        Row<st<ss::enqueued_for_orchestration>,          ev<se::resolve>,        st<ss::resolved_manually>>,
        Row<st<ss::enqueued_for_orchestration>,          ev<se::refuse>,         st<ss::error>>,

        Row<st<ss::enqueued_as_error_for_orchestration>, ev<se::wait_for_retry>, st<ss::waiting_for_retry>>,
        Row<st<ss::enqueued_as_error_for_orchestration>, ev<se::give_up>,        st<ss::error>>,
        Row<st<ss::enqueued_as_error_for_orchestration>, ev<se::cancel>,         st<ss::cancelled>>,
        Row<st<ss::enqueued_as_error_for_orchestration>, ev<se::resolve>,        st<ss::resolved_manually>>,

        Row<st<ss::waiting_for_retry>,                   ev<se::retry>,          st<ss::enqueued>>,
        Row<st<ss::waiting_for_retry>,                   ev<se::cancel>,         st<ss::cancelled>>,
        Row<st<ss::waiting_for_retry>,                   ev<se::resolve>,        st<ss::resolved_manually>>,

        Row<st<ss::error>,                               ev<se::reset>,          st<ss::pending>>,
        Row<st<ss::error>,                               ev<se::cancel>,         st<ss::cancelled>>,
        Row<st<ss::error>,                               ev<se::resolve>,        st<ss::resolved_manually>>,

        // Its task passed a lifecycle limit: an unfinished step fails with it, for an operator
        // to reset (a late result of the attempt then finds it no longer in progress).
        Row<st<ss::enqueued>,                            ev<se::expire>,         st<ss::error>>,
        Row<st<ss::in_progress>,                         ev<se::expire>,         st<ss::error>>,
        Row<st<ss::enqueued_for_orchestration>,          ev<se::expire>,         st<ss::error>>,
        Row<st<ss::enqueued_as_error_for_orchestration>, ev<se::expire>,         st<ss::error>>,
        Row<st<ss::waiting_for_retry>,                   ev<se::expire>,         st<ss::error>>,

        // An operator completes a step by hand with a result its dependents read.
        Row<st<ss::pending>,                             ev<se::complete_manually>, st<ss::complete>>,
        Row<st<ss::enqueued>,                            ev<se::complete_manually>, st<ss::complete>>,
        Row<st<ss::in_progress>,                         ev<se::complete_manually>, st<ss::complete>>,
        Row<st<ss::enqueued_for_orchestration>,          ev<se::complete_manually>, st<ss::complete>>,
        Row<st<ss::enqueued_as_error_for_orchestration>, ev<se::complete_manually>, st<ss::complete>>,
        Row<st<ss::waiting_for_retry>,                   ev<se::complete_manually>, st<ss::complete>>,
        Row<st<ss::error>,                               ev<se::complete_manually>, st<ss::complete>>
    > {};
    // clang-format on
};

using machine_t = boost::msm::back::state_machine<step_machine_def>;
using ids_t = ms::state_ids<machine_t, step_state, step_state_count>;

const ids_t& ids()
{
    static const ids_t instance;
    return instance;
}

void rehydrate(machine_t& m, step_state s)
{
    ms::restore_archive ar{ids().id_of[static_cast<std::size_t>(s)]};
    m.serialize(ar, 0);
}

result<step_state> run(machine_t& m, step_event e)
{
    const step_state from = ids().enum_of[static_cast<std::size_t>(m.current_state()[0])];
    m.rejected = false;
    ms::dispatch(m, e, std::make_index_sequence<step_event_count>{});
    if (m.rejected)
        return error{errc::illegal_transition, "step cannot '" + std::string(to_string(e)) + "' in state '" +
                                                   std::string(to_string(from)) + "'"};
    return ids().enum_of[static_cast<std::size_t>(m.current_state()[0])];
}

// (state, event) -> state, or -1: filled once by running MSM on every pair.
struct lookup_table {
    std::array<std::array<int, step_event_count>, step_state_count> next{};
    std::vector<step_rule> rules = ms::rules_of<step_rule, step_machine_def::transition_table>();

    lookup_table()
    {
        machine_t m;
        m.start();
        for (std::size_t s = 0; s < step_state_count; ++s)
            for (std::size_t e = 0; e < step_event_count; ++e) {
                rehydrate(m, static_cast<step_state>(s));
                auto r = run(m, static_cast<step_event>(e));
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

struct step_machine::impl {
    machine_t machine;
};

result<step_state> step_machine::next(step_state from, step_event event)
{
    const int to = table().next[static_cast<std::size_t>(from)][static_cast<std::size_t>(event)];
    if (to < 0)
        return error{errc::illegal_transition, "step cannot '" + std::string(to_string(event)) + "' in state '" +
                                                   std::string(to_string(from)) + "'"};
    return static_cast<step_state>(to);
}

std::span<const step_rule> step_machine::rules() noexcept { return table().rules; }

step_machine::step_machine(step_state state) : impl_(std::make_unique<impl>())
{
    impl_->machine.start();
    rehydrate(impl_->machine, state);
}

step_machine::step_machine(step_machine&&) noexcept = default;
step_machine& step_machine::operator=(step_machine&&) noexcept = default;
step_machine::~step_machine() = default;

step_state step_machine::state() const noexcept
{
    return ids().enum_of[static_cast<std::size_t>(impl_->machine.current_state()[0])];
}

result<step_state> step_machine::process(step_event event) { return run(impl_->machine, event); }

} // namespace tasker
