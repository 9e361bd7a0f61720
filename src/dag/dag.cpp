#include <tasker/dag/dag.hpp>

#include <range/v3/algorithm/all_of.hpp>
#include <range/v3/algorithm/find.hpp>
#include <range/v3/algorithm/sort.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>

#include <algorithm>
#include <string>
#include <unordered_map>

namespace tasker {

namespace {

using index = dag::index;

std::string step_path(std::size_t i) { return "steps[" + std::to_string(i) + "]"; }

// Finds every cycle reachable by DFS, each reported once as a path a -> b -> ... -> a.
void find_cycles(const std::vector<std::vector<index>>& deps, const std::vector<std::string>& names,
                 std::vector<problem>& problems)
{
    enum class color : std::uint8_t { white, grey, black };
    std::vector<color> colors(deps.size(), color::white);
    std::vector<index> stack;

    struct frame {
        index node;
        std::size_t next = 0;
    };
    for (index start = 0; start < deps.size(); ++start) {
        if (colors[start] != color::white)
            continue;
        std::vector<frame> frames{{start}};
        colors[start] = color::grey;
        stack.push_back(start);
        while (!frames.empty()) {
            auto& f = frames.back();
            if (f.next < deps[f.node].size()) {
                const index d = deps[f.node][f.next++];
                if (colors[d] == color::white) {
                    colors[d] = color::grey;
                    stack.push_back(d);
                    frames.push_back({d});
                } else if (colors[d] == color::grey) {
                    // Back edge: the cycle is the stack from d to the top, then d again.
                    // Edges point at dependencies, so read it in execution order (reverse).
                    const auto from = std::find(stack.begin(), stack.end(), d);
                    std::vector<index> cycle(from, stack.end());
                    std::reverse(cycle.begin(), cycle.end());
                    // Start at the earliest step written, so the same cycle always reads the same.
                    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
                    std::string path;
                    for (index n : cycle)
                        path += names[n] + " -> ";
                    path += names[cycle.front()];
                    problems.push_back({step_path(cycle.front()) + ".dependencies", 0, 0,
                                        "dependency cycle: " + path});
                }
            } else {
                colors[f.node] = color::black;
                stack.pop_back();
                frames.pop_back();
            }
        }
    }
}

} // namespace

result<dag> dag::build(std::span<const dag_node> nodes)
{
    std::vector<problem> problems;
    dag g;
    g.names_ = nodes | ranges::views::transform(&dag_node::name) | ranges::to<std::vector>();

    std::unordered_map<std::string_view, index> by_name;
    for (index i = 0; i < nodes.size(); ++i) {
        const auto& n = nodes[i];
        if (n.name.empty())
            problems.push_back({step_path(i) + ".name", 0, 0, "step name is empty"});
        else if (auto [it, inserted] = by_name.emplace(n.name, i); !inserted)
            problems.push_back({step_path(i) + ".name", 0, 0,
                                "duplicate step '" + n.name + "' (first defined at " + step_path(it->second) + ")"});
    }

    std::vector<std::vector<index>> deps(nodes.size());
    for (index i = 0; i < nodes.size(); ++i) {
        const auto& n = nodes[i];
        for (std::size_t j = 0; j < n.dependencies.size(); ++j) {
            const auto& d = n.dependencies[j];
            const auto where = step_path(i) + ".dependencies[" + std::to_string(j) + "]";
            const auto it = by_name.find(d);
            if (it == by_name.end())
                problems.push_back({where, 0, 0, "step '" + n.name + "' depends on unknown step '" + d + "'"});
            else if (it->second == i)
                problems.push_back({where, 0, 0, "step '" + n.name + "' depends on itself"});
            else if (ranges::find(deps[i], it->second) != deps[i].end())
                problems.push_back({where, 0, 0, "step '" + n.name + "' lists dependency '" + d + "' twice"});
            else
                deps[i].push_back(it->second);
        }
    }
    if (problems.empty())
        find_cycles(deps, g.names_, problems);
    if (!problems.empty())
        return error{errc::invalid_template, "the step graph is invalid", std::move(problems)};

    const auto n = static_cast<index>(nodes.size());
    std::vector<std::vector<index>> kids(n);
    for (index i = 0; i < n; ++i)
        for (index p : deps[i])
            kids[p].push_back(i);
    for (auto& k : kids)
        ranges::sort(k);

    const auto flatten = [](const std::vector<std::vector<index>>& lists) {
        adjacency a;
        a.offsets.reserve(lists.size() + 1);
        a.offsets.push_back(0);
        for (const auto& l : lists) {
            a.items.insert(a.items.end(), l.begin(), l.end());
            a.offsets.push_back(static_cast<std::uint32_t>(a.items.size()));
        }
        return a;
    };
    g.parents_ = flatten(deps);
    g.children_ = flatten(kids);
    g.roots_ = ranges::views::iota(index{0}, n) | ranges::views::filter([&](index i) { return deps[i].empty(); }) |
               ranges::to<std::vector>();

    // Kahn's algorithm, layer by layer: a node's level is its longest chain from a root.
    std::vector<std::uint32_t> missing(n);
    for (index i = 0; i < n; ++i)
        missing[i] = static_cast<std::uint32_t>(deps[i].size());
    std::vector<index> layer = g.roots_;
    while (!layer.empty()) {
        g.order_.insert(g.order_.end(), layer.begin(), layer.end());
        std::vector<index> next;
        for (index i : layer)
            for (index c : kids[i])
                if (--missing[c] == 0)
                    next.push_back(c);
        ranges::sort(next);
        g.levels_.push_back(std::move(layer));
        layer = std::move(next);
    }

    // Ancestors in topological order: a node's ancestors are its parents' ancestors plus them.
    std::vector<std::uint32_t> position(n);
    for (std::uint32_t k = 0; k < n; ++k)
        position[g.order_[k]] = k;
    std::vector<std::vector<index>> anc(n);
    for (index i : g.order_) {
        std::vector<bool> seen(n, false);
        for (index p : deps[i]) {
            for (index a : anc[p])
                seen[a] = true;
            seen[p] = true;
        }
        for (index a = 0; a < n; ++a)
            if (seen[a])
                anc[i].push_back(a);
        ranges::sort(anc[i], {}, [&](index a) { return position[a]; });
    }
    g.ancestors_ = flatten(anc);
    return g;
}

std::optional<dag::index> dag::find(std::string_view name) const noexcept
{
    for (index i = 0; i < names_.size(); ++i)
        if (names_[i] == name)
            return i;
    return std::nullopt;
}

bool dag::is_ready(index i, std::span<const step_state> states) const noexcept
{
    return states[i] == step_state::pending &&
           ranges::all_of(parents(i), [&](index p) { return satisfies_dependencies(states[p]); });
}

std::vector<dag::index> dag::ready(std::span<const step_state> states) const
{
    return ranges::views::iota(index{0}, static_cast<index>(size())) |
           ranges::views::filter([&](index i) { return is_ready(i, states); }) | ranges::to<std::vector>();
}

} // namespace tasker
