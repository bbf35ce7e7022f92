// internal.hpp: helpers shared by the sources of gb_graph (not part of the public API).
#pragma once

#include <string>
#include <vector>

#include "gb/graph/executor.hpp"
#include "gb/graph/graph.hpp"
#include "gb/graph/registry.hpp"
#include "gb/graph/shape_rules.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::graph::detail {

// --- the graph ------------------------------------------------------------------------------------
// needed[n] is true when node n is on the way to one of `fetch` (its producers, transitively).
std::vector<bool> needed_nodes(const Graph& graph, const std::vector<ValueId>& fetch);
std::string node_id(NodeId id);    // "n3"
std::string value_id(ValueId id);  // "v7"

// --- the built-in ops (ops_*.cpp), registered on first use of the registry -----------------------
void add_builtin_op(OpDef def);  // registry.cpp: inserts without triggering the lazy registration
void register_special_ops();     // placeholder, constant, identity
void register_elementwise_ops(); // add sub mul div neg pow, comparisons, logical, where
void register_unary_ops();       // relu sigmoid tanh exp log sin cos sqrt
void register_matmul_ops();      // matmul, transpose
void register_shape_ops();       // sum mean reshape broadcast_like sum_to_like zeros_like ones_like cast

// --- inference helpers -----------------------------------------------------------------------------
// NumPy broadcasting of two (possibly dynamic, -1) shapes, and infos for messages: gb/graph/shape_rules.hpp.
using graph::broadcast_infos;
using graph::infos_str;
void require_same_dtype(const std::string& op, const ValueInfo& a, const ValueInfo& b);
void require_floating_info(const std::string& op, const ValueInfo& a);

// --- VJP helpers -------------------------------------------------------------------------------
// `grad` summed back to the shape of `like` (an emitted sum_to_like), or grad itself when the two
// static infos already agree: how every broadcasting op undoes its broadcast.
ValueId reduce_like(const VjpContext& ctx, ValueId grad, ValueId like);

// --- recording -------------------------------------------------------------------------------------
std::string badge(const Tensor& t);  // "[1, 2.5]" for small tensors, "[64, 64] f32" otherwise
// A scene id not yet used in the active recording: `id`, else `id_2`, `id_3`, ...
std::string fresh_scene_id(trace::Recorder& rec, const std::string& id);
// The graph scene of `graph`: every node (state `state`), every edge, forward/backward groups.
trace::Scene graph_scene_of(const Graph& graph, const std::string& id, const std::string& title,
                            trace::NodeState state);
trace::GraphNode scene_node(const Graph& graph, const Node& node, trace::NodeState state);
std::string edge_id(const Node& consumer, std::size_t input_index, const Graph& graph);

// --- running (executor.cpp; shared with parallel_executor.cpp) --------------------------------------
struct RunState {
  std::vector<ValueId> fetch;
  std::vector<bool> needed;                      // by node id
  struct Edge {
    NodeId consumer;
    std::size_t input;  // which input of the consumer
  };
  std::vector<std::vector<Edge>> consumers;      // by node id: its edges to needed consumers
  std::vector<Tensor> values;                    // by value id, filled as nodes run
  std::map<ValueId, Tensor> feeds;               // validated
};
std::map<ValueId, Tensor> feeds_by_value(const Graph& graph, const Feeds& feeds);
RunState prepare_run(const Graph& graph, std::map<ValueId, Tensor> feeds, const RunOptions& options);
void run_node(const Graph& graph, NodeId id, RunState& state);  // kernel + output checks
RunResult finish_run(RunState& state, std::vector<NodeId> order, const RunOptions& options);

}  // namespace gb::graph::detail
