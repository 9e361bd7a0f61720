// The names enums print as: what logs, errors and failed checks show. Every value has its
// own name, and a name that is also read back (staleness_action) reads back to its value.
#include <tasker/engine/handler_execution.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/store/step_claim.hpp>
#include <tasker/store/step_outcome.hpp>

#include "support/catch.hpp"

#include <sstream>
#include <string>

using namespace tasker;

namespace {

template <class E>
std::string streamed(E e)
{
    std::ostringstream os;
    os << e;
    return os.str();
}

} // namespace

TEST_CASE("enum names: store answers, handler execution and staleness actions", "[unit][names]")
{
    CHECK(to_string(claim_status::claimed) == "claimed");
    CHECK(to_string(claim_status::stale) == "stale");
    CHECK(to_string(claim_status::busy) == "busy");
    CHECK(to_string(claim_status::lost) == "lost");
    CHECK(streamed(claim_status::not_found) == "not_found");
    CHECK(to_string(record_status::recorded) == "recorded");
    CHECK(streamed(record_status::ignored) == "ignored");
    CHECK(to_string(handler_execution::thread_pool) == "thread_pool");
    CHECK(streamed(handler_execution::inline_on_worker) == "inline_on_worker");
    CHECK(to_string(static_cast<claim_status>(200)) == "unknown");

    for (auto a : {staleness_action::dlq, staleness_action::error, staleness_action::none})
        CHECK(staleness_action_from_string(to_string(a)) == a);
    CHECK(streamed(staleness_action::dlq) == "dlq");
    CHECK_FALSE(staleness_action_from_string("DLQ"));
}
