#pragma once

#include <tasker/error.hpp>
#include <tasker/state/step_state.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tasker {

/// A node as written: its name and the names of the nodes it depends on.
struct dag_node {
    std::string name;
    std::vector<std::string> dependencies;
};

/// The dependency graph of a template's steps, by step index (template order).
///
/// Built once per template and shared by every task of it; adjacency is stored in flat
/// arrays so readiness checks on the hot path touch contiguous memory.
class dag {
public:
    using index = std::uint32_t;

    dag() = default;

    /// Builds the graph. Reports every problem at once, each with its path
    /// (`steps[i].name`, `steps[i].dependencies[j]`): empty or duplicate names, unknown or
    /// repeated dependencies, self-dependencies, and every cycle with its path
    /// (`a -> b -> c -> a`).
    static result<dag> build(std::span<const dag_node> nodes);

    std::size_t size() const noexcept { return names_.size(); }
    const std::string& name(index i) const { return names_[i]; }
    std::optional<index> find(std::string_view name) const noexcept;

    /// Direct dependencies of `i`, in the order written.
    std::span<const index> parents(index i) const noexcept { return slice(parents_, i); }
    /// Steps that depend directly on `i`, in index order.
    std::span<const index> children(index i) const noexcept { return slice(children_, i); }
    /// Every step `i` transitively depends on, in topological order.
    std::span<const index> ancestors(index i) const noexcept { return slice(ancestors_, i); }

    /// Steps without dependencies, in index order.
    std::span<const index> roots() const noexcept { return roots_; }
    /// A topological order (Kahn's, lowest index first among ready nodes).
    std::span<const index> topological_order() const noexcept { return order_; }
    /// Level k holds the steps whose longest dependency chain from a root has k edges.
    const std::vector<std::vector<index>>& levels() const noexcept { return levels_; }

    /// True if `i` is pending and every parent satisfies dependencies.
    bool is_ready(index i, std::span<const step_state> states) const noexcept;
    /// Every ready step, in index order.
    std::vector<index> ready(std::span<const step_state> states) const;

private:
    struct adjacency {
        std::vector<std::uint32_t> offsets; // size()+1 entries
        std::vector<index> items;
    };

    static std::span<const index> slice(const adjacency& a, index i) noexcept
    {
        return {a.items.data() + a.offsets[i], a.items.data() + a.offsets[i + 1]};
    }

    std::vector<std::string> names_;
    adjacency parents_;
    adjacency children_;
    adjacency ancestors_;
    std::vector<index> roots_;
    std::vector<index> order_;
    std::vector<std::vector<index>> levels_;
};

} // namespace tasker
