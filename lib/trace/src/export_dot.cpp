// export_dot.cpp: the graph scenes of a Recording as one Graphviz digraph (`dot -Tsvg`).
//
// Layout of the output:
//   digraph recording {
//     subgraph "cluster_<scene>" {            one cluster per graph scene, labelled with its title
//       subgraph "cluster_<scene>/<group>" {  one nested cluster per group of that scene
//         "<scene>/<node>" [...];
//       }
//       "<scene>/<node>" [...];               nodes without a (known) group
//       "<scene>/<from>" -> "<scene>/<to>" [...];
//     }
//   }
// Node names are prefixed with the scene id so two scenes may reuse a node id; the `id` attribute
// keeps the stable id in the SVG. What is drawn is the final state (the replay of every step):
// labels carry the value and gradient badges, the node state picks the style.
#include <string>

#include "gb/trace/export.hpp"
#include "gb/trace/replay.hpp"

namespace gb::trace {
namespace {

// A DOT double-quoted string. Inside one, `"` and `\` need a backslash, and a newline becomes the
// escape `\n` (a centred line break in a label). Other control characters would upset the layout
// engines, so they become spaces.
std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string node_name(const std::string& scene, const std::string& node) { return quote(scene + "/" + node); }

// "add\nmatmul\n= 3.0\ngrad 1.0": the label, the op when it says more, then the badges.
std::string node_label(const GraphNode& n) {
  std::string label = n.label.empty() ? n.id : n.label;
  if (!n.op.empty() && n.op != label) label += "\n" + n.op;
  if (!n.value.empty()) label += "\n= " + n.value;
  if (!n.gradient.empty()) label += "\ngrad " + n.gradient;
  return label;
}

std::string node_style(NodeState state) {
  switch (state) {
    case NodeState::none: return "style=\"rounded\"";
    case NodeState::pending: return "style=\"rounded,dashed\"";
    case NodeState::running: return "style=\"rounded,filled\", fillcolor=\"#ffe08a\"";
    case NodeState::done: return "style=\"rounded,filled\", fillcolor=\"#cde8cd\"";
  }
  return "style=\"rounded\"";
}

void write_node(std::string& out, const std::string& scene, const GraphNode& n, const std::string& indent) {
  out += indent + node_name(scene, n.id) + " [id=" + quote(scene + "/" + n.id) + ", label=" + quote(node_label(n)) +
         ", " + node_style(n.state);
  std::string tooltip = n.id;
  if (!n.shape.empty()) tooltip += " " + n.shape;
  if (!n.dtype.empty()) tooltip += " " + n.dtype;
  out += ", tooltip=" + quote(tooltip) + "];\n";
}

bool has_group(const GraphScene& g, const std::string& id) {
  for (const GraphGroup& group : g.groups)
    if (group.id == id) return true;
  return false;
}

void write_scene(std::string& out, const Scene& scene) {
  const GraphScene& g = scene.graph;
  const std::string& sid = scene.id;
  out += "  subgraph " + quote("cluster_" + sid) + " {\n";
  out += "    label=" + quote(scene.title.empty() ? sid : scene.title) + ";\n";
  for (const GraphGroup& group : g.groups) {
    out += "    subgraph " + quote("cluster_" + sid + "/" + group.id) + " {\n";
    out += "      label=" + quote(group.label.empty() ? group.id : group.label) + "; style=\"dashed\";\n";
    for (const GraphNode& n : g.nodes)
      if (n.group == group.id) write_node(out, sid, n, "      ");
    out += "    }\n";
  }
  for (const GraphNode& n : g.nodes)
    if (n.group.empty() || !has_group(g, n.group)) write_node(out, sid, n, "    ");
  for (const GraphEdge& e : g.edges) {
    out += "    " + node_name(sid, e.from) + " -> " + node_name(sid, e.to) + " [id=" + quote(sid + "/" + e.id);
    if (!e.label.empty()) out += ", label=" + quote(e.label);
    out += "];\n";
  }
  out += "  }\n";
}

}  // namespace

std::string to_dot(const Recording& recording) {
  const State final_state = replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
  std::string out = "digraph recording {\n";
  out += "  graph [fontname=\"Helvetica\", label=" + quote(recording.title) + ", labelloc=\"t\"];\n";
  out += "  node [shape=\"box\", fontname=\"Helvetica\"];\n";
  out += "  edge [fontname=\"Helvetica\"];\n";
  for (const SceneState& s : final_state.scenes)
    if (s.scene.kind == SceneKind::graph) write_scene(out, s.scene);
  return out + "}\n";
}

}  // namespace gb::trace
