#pragma once

#include <tasker/messaging/message.hpp>
#include <tasker/messaging/queue_name.hpp>
#include <tasker/model/time.hpp>

#include <span>

namespace tasker {

/// A message on its way out: to which queue, and how long to keep it invisible.
struct envelope {
    queue_name queue;
    message msg;
    duration delay{};
};

/// Where an in-process store puts the messages of a state change while it commits it.
/// `deliver` runs inside the store's critical section, so it must be quick, must not call
/// back into the store, and cannot fail: that is what makes state and message one unit in
/// memory (DESIGN "Atomic state + message"). Implemented by `inmemory::broker` and by the
/// testing kit's fake broker.
class message_sink {
public:
    virtual void deliver(std::span<const envelope> batch) = 0;

protected:
    ~message_sink() = default;
};

} // namespace tasker
