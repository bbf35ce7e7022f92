// backward.hpp: generating the backward graph as a pass (lesson 06).
//
// gradients() walks the forward nodes that lie on a path from `wrt` to `loss` in reverse topological
// order and calls each op's VJP rule, which appends nodes (group "backward") to the same graph. The
// forward values a VJP reads (the "saved tensors" of a tape) are plain edges from forward values into
// backward nodes. Adjoints of a value used by several nodes are summed with "add" nodes. The result
// is an ordinary graph: it can be run, drawn, optimised, differentiated again.
// Recording (when trace::active()): one step per appended backward node (add_node + add_edge) in a
// graph scene "backward" that starts as a copy of the forward graph.
#pragma once

#include <optional>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::graph {

// Appends d loss / d wrt[i] to `graph` and returns their value ids. `loss` must be floating; seed is
// the adjoint of loss (default: ones_like(loss)). A wrt value with no path from it to loss gets
// zeros_like(wrt). gb::Error when an op on a path has no VJP rule (naming the op and node).
std::vector<ValueId> gradients(Graph& graph, ValueId loss, const std::vector<ValueId>& wrt,
                               std::optional<ValueId> seed = std::nullopt);

}  // namespace gb::graph
