#pragma once
// Private to the state machine translation units: glue between tasker's enums and
// Boost.MSM machines whose states and events are tagged with those enums.

#include <tasker/error.hpp>

#include <boost/mpl/for_each.hpp>
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tasker::detail::msm_support {

/// An MSM state tagged with its enum value.
template <auto State>
struct state_tag : boost::msm::front::state<> {
    static constexpr auto value = State;
};

/// An MSM event tagged with its enum value.
template <auto Event>
struct event_tag {
    static constexpr auto value = Event;
};

/// Front-end base: remembers whether MSM found no row for the last event, instead of
/// MSM's default (an assert).
template <class Derived>
struct rejecting_front : boost::msm::front::state_machine_def<Derived> {
    bool rejected = false;

    template <class Fsm, class Event>
    void no_transition(const Event&, Fsm&, int)
    {
        rejected = true;
    }
};

/// Boost.MSM persists a machine through its `serialize` member; this archive writes the
/// active state id into `m_states` (an `int[1]` for one region) and ignores the rest, so a
/// machine can be rehydrated from stored state without linking Boost.Serialization.
struct restore_archive {
    int state_id;

    template <class T>
    restore_archive& operator&(T& field)
    {
        if constexpr (std::is_same_v<T, int[1]>)
            field[0] = state_id;
        return *this;
    }
};

/// Reads (source, event, target) off each row of an MSM transition table.
template <class Rule, class Table>
std::vector<Rule> rules_of()
{
    std::vector<Rule> out;
    boost::mpl::for_each<Table, std::add_pointer<boost::mpl::_1>>([&](auto* row) {
        using row_t = std::remove_pointer_t<decltype(row)>;
        out.push_back(Rule{row_t::Source::value, row_t::Evt::value, row_t::Target::value});
    });
    return out;
}

/// Maps MSM state ids to enum values and back, for every state of `Machine`.
template <class Machine, class Enum, std::size_t N>
struct state_ids {
    std::array<int, N> id_of{};    // enum -> MSM id
    std::array<Enum, N> enum_of{}; // MSM id -> enum

    state_ids()
    {
        using stt = typename Machine::stt;
        using states = typename boost::msm::back::generate_state_set<stt>::type;
        id_of.fill(-1);
        boost::mpl::for_each<states, std::add_pointer<boost::mpl::_1>>([&](auto* s) {
            using state_t = std::remove_pointer_t<decltype(s)>;
            const int id = boost::msm::back::get_state_id<stt, state_t>::value;
            id_of[static_cast<std::size_t>(state_t::value)] = id;
            enum_of[static_cast<std::size_t>(id)] = state_t::value;
        });
    }
};

/// Sends the runtime `event` to `machine` as the matching tagged MSM event type.
template <class Machine, class EventEnum, std::size_t... I>
void dispatch(Machine& machine, EventEnum event, std::index_sequence<I...>)
{
    ((static_cast<std::size_t>(event) == I
          ? (void)machine.process_event(event_tag<static_cast<EventEnum>(I)>{})
          : (void)0),
     ...);
}

} // namespace tasker::detail::msm_support
