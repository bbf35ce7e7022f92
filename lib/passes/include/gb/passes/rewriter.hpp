// rewriter.hpp: how a pass changes a graph (lesson 17).
//
// gb::graph::Graph only grows (ids are stable, nothing is ever removed), so a pass does not edit a
// graph in place: it copies the graph into a new one, node by node in topological order, and at each
// node either copies it (inputs renamed to their new values) or emits something else in its place.
// This is the "rebuild" style of XLA's and TVM's rewriters; ONNX Runtime's RewriteRule edits in place.
//
// A fusion rule matches at the LAST node of its pattern (the root): BatchNormalization(Conv(x)) is
// found at the BatchNormalization, whose producer is looked up in the source graph. The rule emits the
// fused node and says that the root's output is now the fused node's output (replace). The Conv that
// was already copied is left dead; dead-code elimination removes it. A rule must check that the inner
// nodes of its pattern have no other consumer (`single_consumer`), or it would duplicate work.
//
//   Rewriter rw(source);
//   for (NodeId id : rw.order()) {
//     const Node& n = source.node(id);
//     if (n.op == "Identity") { rw.replace(n.outputs[0], rw.map(n.inputs[0])); continue; }
//     rw.copy(id);
//   }
//   Graph result = rw.finish();
//
// Placeholders are copied first, in the source's input order (the graph's inputs keep their order and
// names); the outputs of the result are the mapped outputs of the source. Node names, value names and
// groups are kept by copy(); emitted nodes take the names the rule gives them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::passes {

using graph::Attributes;
using graph::Graph;
using graph::Node;
using graph::NodeId;
using graph::ValueId;

class Rewriter {
 public:
  explicit Rewriter(const Graph& source);

  const Graph& source() const { return source_; }
  Graph& target() { return target_; }
  // The source's node ids in the order a pass should visit them: placeholders first (input order),
  // then every other node in topological order (all nodes, dead ones too: DCE is a separate pass).
  const std::vector<NodeId>& order() const { return order_; }

  // Copies source node `id` into the target with its inputs mapped; maps its outputs; returns them.
  std::vector<ValueId> copy(NodeId id);
  // The target value that stands for source value `v` (gb::Error if it has not been copied or replaced).
  ValueId map(ValueId v) const;
  bool mapped(ValueId v) const { return map_.count(v) != 0; }
  // From now on source value `v` is target value `now` (consumers read `now`).
  void replace(ValueId v, ValueId now);
  // Appends a node to the target (Graph::add_node: inference runs); group = the source node's group
  // when `like` >= 0.
  std::vector<ValueId> emit(const std::string& op, const std::vector<ValueId>& target_inputs, Attributes attrs,
                            const std::string& name, NodeId like = -1);
  ValueId emit1(const std::string& op, const std::vector<ValueId>& target_inputs, Attributes attrs,
                const std::string& name, NodeId like = -1);
  ValueId constant(const Tensor& value, const std::string& name);

  // Source-graph helpers for matching patterns.
  const Node& producer(ValueId v) const;  // the source node that produces v
  bool single_consumer(ValueId v) const;  // exactly one source node reads v and v is not a graph output
  bool is_output(ValueId v) const;        // v is one of the source graph's outputs
  // The constant tensor behind source value v (a "constant" node), or nullptr.
  const Tensor* constant_value(ValueId v) const;

  // The target with outputs set to the mapped source outputs (names kept).
  Graph finish();

 private:
  const Graph& source_;
  Graph target_;
  std::vector<NodeId> order_;
  std::map<ValueId, ValueId> map_;
  std::vector<std::vector<NodeId>> consumers_;  // per source value
};

}  // namespace gb::passes
