#include <tasker/logger.hpp>

#include "support/catch.hpp"

#include <string>
#include <vector>

using namespace tasker;

TEST_CASE("logger: filters by level and formats only enabled lines", "[unit][logger]")
{
    std::vector<std::pair<log_level, std::string>> lines;
    logger log(log_level::warn, [&](log_level l, std::string_view s) { lines.emplace_back(l, std::string(s)); });
    log.info("never {}", 1);
    log.warn("disk={} free={}", "/var", 3);
    log.error("boom");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == std::pair{log_level::warn, std::string("disk=/var free=3")});
    CHECK(lines[1].first == log_level::error);
    CHECK_FALSE(log.enabled(log_level::debug));
}

TEST_CASE("logger: fields from with() prefix every line, and nest", "[unit][logger]")
{
    std::vector<std::string> lines;
    logger base(log_level::debug, [&](log_level, std::string_view s) { lines.emplace_back(s); });
    auto task = base.with("task=t1");
    auto step = task.with("step=s2");
    step.debug("event=claimed");
    task.info("event=done");
    base.info("plain");
    CHECK(lines == std::vector<std::string>{"task=t1 step=s2 event=claimed", "task=t1 event=done", "plain"});
}

TEST_CASE("logger: a default logger writes nothing and costs nothing", "[unit][logger]")
{
    logger off;
    CHECK_FALSE(off.enabled(log_level::error));
    off.error("ignored {}", 1);
    auto child = off.with("x=1");
    CHECK_FALSE(child.enabled(log_level::error));
}
