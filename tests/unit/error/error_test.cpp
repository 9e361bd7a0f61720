#include <tasker/error.hpp>

#include "support/catch.hpp"

#include <sstream>

using namespace tasker;

TEST_CASE("each core error code maps onto transient or permanent", "[unit][error]")
{
    CHECK(is_transient(error{errc::backend_unavailable, "down"}));
    CHECK(is_transient(error{errc::state_conflict, "lost a race"}));
    CHECK(is_transient(error{errc::timeout, "slow"}));
    CHECK_FALSE(is_transient(error{errc::invalid_template, "bad"}));
    CHECK_FALSE(is_transient(error{errc::database_error, "refused"}));
    CHECK(error{errc::malformed_json} == condition::permanent);
}

TEST_CASE("conditions are named", "[unit][error]")
{
    CHECK(to_string(condition::transient) == "transient");
    CHECK(to_string(condition::permanent) == "permanent");
    CHECK(to_string(static_cast<condition>(9)) == "unknown condition");
    CHECK(make_error_condition(condition::transient).message() == "transient");
    std::ostringstream os;
    os << condition::permanent;
    CHECK(os.str() == "permanent");
}

TEST_CASE("an error made by the core has no origin", "[unit][error]")
{
    const error e{errc::task_not_found, "no task"};
    CHECK_FALSE(e.origin);
}
