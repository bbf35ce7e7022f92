// graph.cpp: the IR (graph.hpp): building with shape inference, reading, Kahn's topological order.
#include "gb/graph/graph.hpp"

#include <queue>
#include <sstream>

#include "gb/core/math.hpp"
#include "gb/graph/registry.hpp"
#include "internal.hpp"

namespace gb::graph {

std::string info_str(const ValueInfo& info) { return std::string(dtype_name(info.dtype)) + shape_str(info.shape); }

// --- typed attributes ------------------------------------------------------------------------------

namespace {

template <class T> const T& attr_of(const Node& node, const std::string& key, const char* type) {
  auto it = node.attrs.find(key);
  if (it == node.attrs.end()) {
    throw Error(node.op, "attribute " + key + " of type " + type, "a node without it (" + detail::node_id(node.id) + ")");
  }
  const T* value = std::get_if<T>(&it->second);
  if (value == nullptr) {
    static const char* names[] = {"int", "float", "string", "int list", "tensor", "graph"};
    throw Error(node.op, "attribute " + key + " of type " + type,
                std::string("an attribute of type ") + names[it->second.index()]);
  }
  return *value;
}

}  // namespace

std::int64_t Node::attr_int(const std::string& key) const { return attr_of<std::int64_t>(*this, key, "int"); }
double Node::attr_float(const std::string& key) const { return attr_of<double>(*this, key, "float"); }
const std::string& Node::attr_string(const std::string& key) const {
  return attr_of<std::string>(*this, key, "string");
}
const std::vector<std::int64_t>& Node::attr_ints(const std::string& key) const {
  return attr_of<std::vector<std::int64_t>>(*this, key, "int list");
}
const Tensor& Node::attr_tensor(const std::string& key) const { return attr_of<Tensor>(*this, key, "tensor"); }
const GraphPtr& Node::attr_graph(const std::string& key) const { return attr_of<GraphPtr>(*this, key, "graph"); }

// --- building ----------------------------------------------------------------------------------------

ValueId Graph::new_value(const ValueInfo& info, NodeId producer, int index, const std::string& name) {
  Value v;
  v.id = static_cast<ValueId>(values_.size());
  v.name = name;
  v.info = info;
  v.producer = producer;
  v.output_index = index;
  values_.push_back(v);
  return v.id;
}

ValueId Graph::placeholder(const std::string& name, const ValueInfo& info) {
  for (std::int64_t d : info.shape) {
    if (d < -1) throw Error("placeholder", "sizes >= 0 or -1 (dynamic)", "shape " + shape_str(info.shape));
  }
  Node node;
  node.id = static_cast<NodeId>(nodes_.size());
  node.op = "placeholder";
  node.name = name;
  node.attrs["name"] = name;
  node.outputs.push_back(new_value(info, node.id, 0, name));
  nodes_.push_back(node);
  inputs_.push_back(node.outputs[0]);
  return node.outputs[0];
}

ValueId Graph::constant(const Tensor& value, const std::string& name) {
  require_defined(value, "constant");
  Node node;
  node.id = static_cast<NodeId>(nodes_.size());
  node.op = "constant";
  node.name = name.empty() ? "constant" : name;
  node.attrs["value"] = value;
  node.outputs.push_back(new_value({value.dtype(), value.shape()}, node.id, 0, name));
  nodes_.push_back(node);
  return node.outputs[0];
}

std::vector<ValueId> Graph::add_node(const std::string& op, const std::vector<ValueId>& inputs, Attributes attrs,
                                     const std::string& name) {
  if (op == "placeholder" || op == "constant") {
    throw Error("add_node", "a registered op (use Graph::placeholder / Graph::constant for '" + op + "')", op);
  }
  const OpDef& def = find_op(op);
  if (def.num_inputs >= 0 && static_cast<std::size_t>(def.num_inputs) != inputs.size()) {
    throw Error(op, std::to_string(def.num_inputs) + " inputs", std::to_string(inputs.size()) + " inputs");
  }
  std::vector<ValueInfo> infos;
  for (ValueId v : inputs) infos.push_back(value(v).info);  // value() rejects unknown ids
  Node node;
  node.id = static_cast<NodeId>(nodes_.size());
  node.op = op;
  node.name = name.empty() ? op : name;
  node.inputs = inputs;
  node.attrs = std::move(attrs);
  std::vector<ValueInfo> out = def.infer ? def.infer(InferContext{node, infos}) : std::vector<ValueInfo>{};
  for (std::size_t k = 0; k < out.size(); ++k) {
    node.outputs.push_back(new_value(out[k], node.id, static_cast<int>(k), name));
  }
  nodes_.push_back(std::move(node));
  return nodes_.back().outputs;
}

ValueId Graph::add(const std::string& op, const std::vector<ValueId>& inputs, Attributes attrs,
                   const std::string& name) {
  std::vector<ValueId> out = add_node(op, inputs, std::move(attrs), name);
  if (out.size() != 1) throw Error(op, "an op with one output (use add_node)", std::to_string(out.size()) + " outputs");
  return out[0];
}

void Graph::set_outputs(const std::vector<ValueId>& outputs) {
  for (ValueId v : outputs) value(v);
  outputs_ = outputs;
}

void Graph::set_group(NodeId id, const std::string& group) {
  node(id);
  nodes_[static_cast<std::size_t>(id)].group = group;
}

void Graph::set_value_name(ValueId id, const std::string& name) {
  value(id);
  values_[static_cast<std::size_t>(id)].name = name;
}

// --- reading ------------------------------------------------------------------------------------------

const Node& Graph::node(NodeId id) const {
  if (id < 0 || id >= static_cast<NodeId>(nodes_.size())) {
    throw Error("graph", "a node id in [0, " + std::to_string(nodes_.size()) + ")", std::to_string(id));
  }
  return nodes_[static_cast<std::size_t>(id)];
}

const Value& Graph::value(ValueId id) const {
  if (id < 0 || id >= static_cast<ValueId>(values_.size())) {
    throw Error("graph", "a value id in [0, " + std::to_string(values_.size()) + ")", std::to_string(id));
  }
  return values_[static_cast<std::size_t>(id)];
}

std::optional<ValueId> Graph::find_input(const std::string& name) const {
  for (ValueId v : inputs_) {
    if (nodes_[static_cast<std::size_t>(values_[static_cast<std::size_t>(v)].producer)].attr_string("name") == name) {
      return v;
    }
  }
  return std::nullopt;
}

std::vector<NodeId> Graph::consumers(ValueId id) const {
  value(id);
  std::vector<NodeId> out;
  for (const Node& n : nodes_) {
    for (ValueId in : n.inputs) {
      if (in == id) {
        out.push_back(n.id);
        break;
      }
    }
  }
  return out;
}

namespace {

// Kahn's algorithm over the nodes with included[n]: count each node's in-degree (its input edges
// from included producers), start from the nodes with none, and repeatedly take the lowest-id ready
// node, emit it and decrement its consumers. A node never emitted sits on a cycle.
std::vector<NodeId> kahn_order(const Graph& graph, const std::vector<bool>& included) {
  // BEGIN EXERCISE(graph.topo.sort)
  const std::size_t n = graph.size();
  std::vector<std::int64_t> in_degree(n, 0);
  std::vector<std::vector<NodeId>> consumers(n);  // one entry per edge: x * x counts twice
  std::size_t total = 0;
  for (const Node& node : graph.nodes()) {
    if (!included[static_cast<std::size_t>(node.id)]) continue;
    ++total;
    for (ValueId v : node.inputs) {
      const NodeId producer = graph.value(v).producer;
      if (!included[static_cast<std::size_t>(producer)]) continue;
      ++in_degree[static_cast<std::size_t>(node.id)];
      consumers[static_cast<std::size_t>(producer)].push_back(node.id);
    }
  }
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<NodeId>> ready;  // lowest id first
  for (const Node& node : graph.nodes()) {
    if (included[static_cast<std::size_t>(node.id)] && in_degree[static_cast<std::size_t>(node.id)] == 0) {
      ready.push(node.id);
    }
  }
  std::vector<NodeId> order;
  while (!ready.empty()) {
    const NodeId next = ready.top();
    ready.pop();
    order.push_back(next);
    for (NodeId consumer : consumers[static_cast<std::size_t>(next)]) {
      if (--in_degree[static_cast<std::size_t>(consumer)] == 0) ready.push(consumer);
    }
  }
  if (order.size() != total) {
    throw Error("topological_order", "an acyclic graph",
                "a cycle through " + std::to_string(total - order.size()) + " nodes");
  }
  return order;
  // END EXERCISE
}

}  // namespace

std::vector<NodeId> Graph::topological_order(bool only_needed) const {
  const std::vector<bool> included = only_needed ? detail::needed_nodes(*this, outputs_) : std::vector<bool>(size(), true);
  return kahn_order(*this, included);
}

std::string Graph::str() const {
  std::ostringstream out;
  for (const Node& n : nodes_) {
    for (std::size_t k = 0; k < n.outputs.size(); ++k) out << (k ? ", " : "") << detail::value_id(n.outputs[k]);
    if (n.outputs.empty()) out << "()";
    out << " = " << n.op << "(";
    if (n.op == "placeholder") out << '"' << n.attr_string("name") << '"';
    if (n.op == "constant") out << detail::badge(n.attr_tensor("value"));
    for (std::size_t k = 0; k < n.inputs.size(); ++k) out << (k ? ", " : "") << detail::value_id(n.inputs[k]);
    out << ")";
    std::string comment;
    for (ValueId v : n.outputs) comment += (comment.empty() ? "" : ", ") + info_str(value(v).info);
    if (n.name != n.op && n.op != "placeholder") comment += (comment.empty() ? "" : "  ") + n.name;
    if (!n.group.empty()) comment += "  [" + n.group + "]";
    out << "  # " << comment << "\n";
  }
  if (!outputs_.empty()) {
    out << "outputs:";
    for (ValueId v : outputs_) out << " " << detail::value_id(v);
    out << "\n";
  }
  return out.str();
}

namespace detail {

std::string node_id(NodeId id) { return "n" + std::to_string(id); }
std::string value_id(ValueId id) { return "v" + std::to_string(id); }

std::vector<bool> needed_nodes(const Graph& graph, const std::vector<ValueId>& fetch) {
  std::vector<bool> needed(graph.size(), false);
  std::vector<NodeId> stack;
  for (ValueId v : fetch) stack.push_back(graph.value(v).producer);
  while (!stack.empty()) {
    const NodeId n = stack.back();
    stack.pop_back();
    if (needed[static_cast<std::size_t>(n)]) continue;
    needed[static_cast<std::size_t>(n)] = true;
    for (ValueId v : graph.node(n).inputs) stack.push_back(graph.value(v).producer);
  }
  return needed;
}

}  // namespace detail

}  // namespace gb::graph
