// record.cpp: how a Graph is drawn in a Recording (graph scenes, value badges), shared by the
// executors and the backward pass. Ids are the stable graph ids ("n3"), so recordings are deterministic.
#include <cstdio>

#include "gb/graph/scene.hpp"
#include "internal.hpp"

namespace gb::graph::detail {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::string badge(const Tensor& t) {
  if (!t.defined()) return "undefined";
  if (t.numel() > 4) return shape_str(t.shape()) + " " + dtype_name(t.dtype());
  std::string out = t.ndim() == 0 ? "" : "[";
  const std::vector<double> values = t.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + number(values[i]);
  return out + (t.ndim() == 0 ? "" : "]");
}

std::string fresh_scene_id(trace::Recorder& rec, const std::string& id) {
  if (rec.recording().find_scene(id) == nullptr) return id;
  for (int k = 2;; ++k) {
    const std::string candidate = id + "_" + std::to_string(k);
    if (rec.recording().find_scene(candidate) == nullptr) return candidate;
  }
}

trace::GraphNode scene_node(const Graph& graph, const Node& node, trace::NodeState state) {
  trace::GraphNode out;
  out.id = node_id(node.id);
  out.label = node.op == "placeholder" ? node.attr_string("name")
              : node.op == "constant" ? "const " + badge(node.attr_tensor("value"))
              : node.name == node.op || node.name.empty() ? node.op
                                                          : node.name + " (" + node.op + ")";  // "for i (While)"
  out.op = node.op == "placeholder" ? "" : node.op;
  out.group = node.group;
  if (!node.outputs.empty()) {
    const ValueInfo& info = graph.value(node.outputs[0]).info;
    out.shape = shape_str(info.shape);
    out.dtype = dtype_name(info.dtype);
  }
  out.state = state;
  return out;
}

std::string edge_id(const Node& consumer, std::size_t input_index, const Graph& graph) {
  const NodeId producer = graph.value(consumer.inputs[input_index]).producer;
  return node_id(producer) + "->" + node_id(consumer.id) + "#" + std::to_string(input_index);
}

trace::Scene graph_scene_of(const Graph& graph, const std::string& id, const std::string& title,
                            trace::NodeState state) {
  trace::Scene scene = trace::graph_scene(id, title);
  bool forward = false, backward = false;
  for (const Node& node : graph.nodes()) {
    scene.graph.nodes.push_back(scene_node(graph, node, state));
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string from = node_id(graph.value(node.inputs[k]).producer);
      scene.graph.edges.push_back({edge_id(node, k, graph), from, node_id(node.id), value_id(node.inputs[k])});
    }
    forward = forward || node.group == "forward";
    backward = backward || node.group == "backward";
  }
  if (forward) scene.graph.groups.push_back({"forward", "forward"});
  if (backward) scene.graph.groups.push_back({"backward", "backward"});
  return scene;
}

}  // namespace gb::graph::detail

namespace gb::graph {

trace::Scene to_scene(const Graph& graph, const std::string& id, const std::string& title, trace::NodeState state) {
  return detail::graph_scene_of(graph, id, title, state);
}

std::string value_text(const Tensor& t, std::size_t max_values) {
  if (!t.defined()) return "undefined";
  if (static_cast<std::size_t>(t.numel()) > max_values) return shape_str(t.shape()) + " " + dtype_name(t.dtype());
  std::string out = t.ndim() == 0 ? "" : "[";
  const std::vector<double> values = t.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.6g", i ? ", " : "", values[i]);
    out += buf;
  }
  return out + (t.ndim() == 0 ? "" : "]");
}

}  // namespace gb::graph
