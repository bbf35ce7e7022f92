// graph.hpp: the intermediate representation (IR) of a computation graph (lesson 06).
//
// A Graph is a DAG of Nodes (ops) connected by Values (tensor edges). Every Value is produced by
// exactly one Node (a placeholder, a constant or an op) and read by any number of Nodes. Ids are
// stable: a node or value keeps its id for the life of the graph, and the same construction gives
// the same ids, so recordings, DOT output and tests can name them ("n3", "v7").
//   Value: dtype and shape (a dimension of -1 = known only at run time), the node that produces it.
//   Node:  op name (looked up in the op registry, registry.hpp), input values in order, output values,
//          attributes (ints, floats, strings, int lists, tensors, subgraphs for If and While).
// Node ops with special meaning: "placeholder" (a graph input fed at run time; attr "name"),
// "constant" (attr "value", a Tensor). Everything else is an op from the registry.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::graph {

using NodeId = std::int64_t;
using ValueId = std::int64_t;

class Graph;
using GraphPtr = std::shared_ptr<const Graph>;

// What inference knows about a value before it runs: dtype and shape (-1 = dynamic dimension).
struct ValueInfo {
  DType dtype = DType::f32;
  Shape shape;
  bool operator==(const ValueInfo&) const = default;
};
std::string info_str(const ValueInfo& info);  // "f32[2, 3]", "f64[-1, 4]"

using Attribute = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, Tensor, GraphPtr>;
using Attributes = std::map<std::string, Attribute>;

struct Value {
  ValueId id = -1;
  std::string name;      // readable ("x", "h1", "grad_w"); unique names are not required
  ValueInfo info;
  NodeId producer = -1;  // the node whose output this is
  int output_index = 0;  // which output of the producer
};

struct Node {
  NodeId id = -1;
  std::string op;                  // "matmul", "placeholder", "If", ...
  std::string name;                // readable label; defaults to the op
  std::vector<ValueId> inputs;     // operand values in order
  std::vector<ValueId> outputs;    // values it produces
  Attributes attrs;
  std::string group;               // "forward" / "backward" / "" (drawn as a box in the viewer)

  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  // Typed attribute access; gb::Error(op, "attribute KEY of type T", given) when missing or mistyped.
  std::int64_t attr_int(const std::string& key) const;
  double attr_float(const std::string& key) const;
  const std::string& attr_string(const std::string& key) const;
  const std::vector<std::int64_t>& attr_ints(const std::string& key) const;
  const Tensor& attr_tensor(const std::string& key) const;
  const GraphPtr& attr_graph(const std::string& key) const;
};

class Graph {
 public:
  Graph() = default;

  // --- building ------------------------------------------------------------------------------
  ValueId placeholder(const std::string& name, const ValueInfo& info);  // appends a graph input
  ValueId constant(const Tensor& value, const std::string& name = "");
  // Appends a node of a registered op: checks the op exists and runs its shape/dtype inference
  // (gb::Error naming the op, what it expected and the given infos on mismatch). Returns its outputs.
  std::vector<ValueId> add_node(const std::string& op, const std::vector<ValueId>& inputs, Attributes attrs = {},
                                const std::string& name = "");
  ValueId add(const std::string& op, const std::vector<ValueId>& inputs, Attributes attrs = {},
              const std::string& name = "");  // add_node for single-output ops
  void set_outputs(const std::vector<ValueId>& outputs);
  void set_group(NodeId node, const std::string& group);
  void set_value_name(ValueId value, const std::string& name);

  // --- reading ---------------------------------------------------------------------------------
  const std::vector<Node>& nodes() const { return nodes_; }     // index == NodeId
  const std::vector<Value>& values() const { return values_; }  // index == ValueId
  const Node& node(NodeId id) const;    // gb::Error for an unknown id
  const Value& value(ValueId id) const;
  const std::vector<ValueId>& inputs() const { return inputs_; }  // placeholders, in creation order
  const std::vector<ValueId>& outputs() const { return outputs_; }
  std::optional<ValueId> find_input(const std::string& name) const;
  std::vector<NodeId> consumers(ValueId value) const;  // nodes reading it, in id order
  std::size_t size() const { return nodes_.size(); }

  // Node ids in a topological order (Kahn's algorithm, lowest id first among ready nodes), only the
  // nodes the outputs depend on when `only_needed` (all nodes otherwise). gb::Error on a cycle.
  std::vector<NodeId> topological_order(bool only_needed = false) const;

  // A readable listing: one line per node, "v3 = mul(v1, v2)  # f32[2, 3]".
  std::string str() const;

 private:
  ValueId new_value(const ValueInfo& info, NodeId producer, int index, const std::string& name);
  std::vector<Node> nodes_;
  std::vector<Value> values_;
  std::vector<ValueId> inputs_, outputs_;
};

// Graphviz DOT of the graph (subgraphs of If/While drawn as clusters); stable node ids.
std::string to_dot(const Graph& graph);

}  // namespace gb::graph
