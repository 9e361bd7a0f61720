#include <tasker/dag/dag.hpp>

#include "support/catch.hpp"

#include <array>

using namespace tasker;

namespace {

dag build(std::vector<dag_node> nodes)
{
    auto g = dag::build(nodes);
    REQUIRE(g);
    return *g;
}

std::vector<dag::index> vec(std::span<const dag::index> s) { return {s.begin(), s.end()}; }

} // namespace

TEST_CASE("dag: diamond structure, levels, ancestors", "[unit][dag]")
{
    const auto g = build({{"start", {}}, {"left", {"start"}}, {"right", {"start"}}, {"end", {"right", "left"}}});
    CHECK(g.size() == 4);
    CHECK(vec(g.roots()) == std::vector<dag::index>{0});
    CHECK(vec(g.parents(3)) == std::vector<dag::index>{2, 1}); // as written
    CHECK(vec(g.children(0)) == std::vector<dag::index>{1, 2});
    CHECK(vec(g.topological_order()) == std::vector<dag::index>{0, 1, 2, 3});
    CHECK(g.levels() == std::vector<std::vector<dag::index>>{{0}, {1, 2}, {3}});
    CHECK(vec(g.ancestors(3)) == std::vector<dag::index>{0, 1, 2});
    CHECK(vec(g.ancestors(0)).empty());
    CHECK(g.find("right") == 2u);
    CHECK_FALSE(g.find("middle"));
}

TEST_CASE("dag: a node's level is its longest chain from a root", "[unit][dag]")
{
    // a -> b -> c, and a -> c directly: c is on level 2, not 1.
    const auto g = build({{"c", {"a", "b"}}, {"b", {"a"}}, {"a", {}}, {"lonely", {}}});
    CHECK(g.levels() == std::vector<std::vector<dag::index>>{{2, 3}, {1}, {0}});
    CHECK(vec(g.topological_order()) == std::vector<dag::index>{2, 3, 1, 0});
    CHECK(vec(g.ancestors(0)) == std::vector<dag::index>{2, 1});
}

TEST_CASE("dag: readiness follows the parents' states", "[unit][dag]")
{
    const auto g = build({{"start", {}}, {"left", {"start"}}, {"right", {"start"}}, {"end", {"left", "right"}}});
    std::array<step_state, 4> s{step_state::pending, step_state::pending, step_state::pending, step_state::pending};
    CHECK(g.ready(s) == std::vector<dag::index>{0});
    s[0] = step_state::in_progress;
    CHECK(g.ready(s).empty());
    s[0] = step_state::complete;
    CHECK(g.ready(s) == std::vector<dag::index>{1, 2});
    s[1] = step_state::complete;
    s[2] = step_state::waiting_for_retry;
    CHECK(g.ready(s).empty()); // waiting_for_retry is not pending
    s[2] = step_state::resolved_manually; // an operator's resolution satisfies dependents
    CHECK(g.ready(s) == std::vector<dag::index>{3});
    s[2] = step_state::error;
    CHECK_FALSE(g.is_ready(3, s));
}

TEST_CASE("dag: every problem is reported with its path", "[unit][dag]")
{
    auto r = dag::build(std::vector<dag_node>{{"a", {"ghost", "a"}}, {"b", {"a", "a"}}, {"a", {}}, {"", {}}});
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_template);
    std::vector<std::string> where;
    for (const auto& p : r.error().problems)
        where.push_back(p.path + ": " + p.message);
    CHECK(where == std::vector<std::string>{
                       "steps[2].name: duplicate step 'a' (first defined at steps[0])",
                       "steps[3].name: step name is empty",
                       "steps[0].dependencies[0]: step 'a' depends on unknown step 'ghost'",
                       "steps[0].dependencies[1]: step 'a' depends on itself",
                       "steps[1].dependencies[1]: step 'b' lists dependency 'a' twice",
                   });
}

TEST_CASE("dag: each cycle is named with its path", "[unit][dag]")
{
    auto r = dag::build(std::vector<dag_node>{
        {"a", {"c"}}, {"b", {"a"}}, {"c", {"b"}}, {"x", {"y"}}, {"y", {"x"}}, {"free", {}}});
    REQUIRE_FALSE(r);
    REQUIRE(r.error().problems.size() == 2);
    CHECK(r.error().problems[0].message == "dependency cycle: a -> b -> c -> a");
    CHECK(r.error().problems[1].message == "dependency cycle: x -> y -> x");
}

TEST_CASE("dag: a wide template builds flat adjacency", "[unit][dag]")
{
    std::vector<dag_node> nodes{{"root", {}}};
    dag_node sink{"sink", {}};
    for (int i = 0; i < 500; ++i) {
        nodes.push_back({"w" + std::to_string(i), {"root"}});
        sink.dependencies.push_back("w" + std::to_string(i));
    }
    nodes.push_back(sink);
    const auto g = build(nodes);
    CHECK(g.children(0).size() == 500);
    CHECK(g.parents(501).size() == 500);
    CHECK(g.ancestors(501).size() == 501);
    CHECK(g.levels().size() == 3);
}
