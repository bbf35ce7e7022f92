// dot.cpp: Graphviz DOT of a Graph. Node ids are the stable graph ids ("n3"); the subgraphs of
// If/While (graph attributes) are drawn as clusters whose ids are prefixed by the owner's id.
#include <sstream>

#include "internal.hpp"

namespace gb::graph {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void write_graph(std::ostringstream& out, const Graph& graph, const std::string& prefix, const std::string& indent) {
  std::map<std::string, std::vector<const Node*>> groups;  // "" = no group
  for (const Node& node : graph.nodes()) groups[node.group].push_back(&node);
  for (const auto& [group, nodes] : groups) {
    std::string inner = indent;
    if (!group.empty()) {
      out << indent << "subgraph \"cluster_" << prefix << escape(group) << "\" {\n"
          << indent << "  label=\"" << escape(group) << "\";\n";
      inner += "  ";
    }
    for (const Node* node : nodes) {
      const trace::GraphNode drawn = detail::scene_node(graph, *node, trace::NodeState::none);
      const char* shape = node->op == "placeholder" ? "ellipse" : node->op == "constant" ? "note" : "box";
      out << inner << '"' << prefix << drawn.id << "\" [label=\"" << escape(drawn.label) << "\\n"
          << escape(drawn.dtype + drawn.shape) << "\", shape=" << shape << "];\n";
    }
    if (!group.empty()) out << indent << "}\n";
  }
  for (const Node& node : graph.nodes()) {
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      out << indent << '"' << prefix << detail::node_id(graph.value(node.inputs[k]).producer) << "\" -> \"" << prefix
          << detail::node_id(node.id) << "\" [label=\"" << detail::value_id(node.inputs[k]) << "\"];\n";
    }
    for (const auto& [key, attr] : node.attrs) {
      const GraphPtr* sub = std::get_if<GraphPtr>(&attr);
      if (sub == nullptr || !*sub) continue;
      const std::string sub_prefix = prefix + detail::node_id(node.id) + "_" + key + "_";
      out << indent << "subgraph \"cluster_" << escape(sub_prefix) << "\" {\n"
          << indent << "  label=\"" << escape(node.name + "." + key) << "\";\n"
          << indent << "  style=dashed;\n";
      write_graph(out, **sub, sub_prefix, indent + "  ");
      out << indent << "}\n";
    }
  }
}

}  // namespace

std::string to_dot(const Graph& graph) {
  std::ostringstream out;
  out << "digraph G {\n  rankdir=TB;\n";
  write_graph(out, graph, "", "  ");
  for (std::size_t k = 0; k < graph.outputs().size(); ++k) {
    out << "  \"out" << k << "\" [label=\"output " << k << "\", shape=plaintext];\n"
        << "  \"" << detail::node_id(graph.value(graph.outputs()[k]).producer) << "\" -> \"out" << k << "\";\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace gb::graph
