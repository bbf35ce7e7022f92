// graph_layout.cpp: Graphviz (libgvc, "dot") layout of a Graph scene, read back from ND_coord and ED_spl.
#include "graph_layout.hpp"

#include <gvc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>

namespace gb::viewer {
namespace {

// DOT string literal: quotes and backslashes escaped, newlines as \n.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

std::string inches(double pixels) {  // Graphviz sizes are in inches, coordinates in points (1/72 in)
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", pixels / 72.0);
  return buf;
}

// Node i is named n<i> in DOT, edge i carries gbi=<i>, group i is cluster_<i>: ids never need escaping.
std::string to_dot(const trace::GraphScene& g, const std::map<std::string, std::size_t>& index,
                   const MeasureText& measure, double line_height, bool left_to_right) {
  // Badges hang under a node: left to right they need room between the nodes of a rank (nodesep),
  // top to bottom between the ranks (ranksep).
  std::string dot = left_to_right ? "digraph G {\n  rankdir=LR; nodesep=0.7; ranksep=0.6; fontsize=11; forcelabels=true;\n"
                                  : "digraph G {\n  rankdir=TB; nodesep=0.4; ranksep=0.8; fontsize=11; forcelabels=true;\n";
  dot += "  node [shape=box, fixedsize=true, label=\"\"];\n  edge [fontsize=11, gbi=\"\"];\n";
  auto node_line = [&](std::size_t i) {
    const auto& n = g.nodes[i];
    double w = std::max(48.0, measure(n.label.empty() ? n.id : n.label) + 20.0);
    return "  n" + std::to_string(i) + " [width=" + inches(w) + ", height=" + inches(line_height + 12) + "];\n";
  };
  std::vector<bool> placed(g.nodes.size(), false);
  for (std::size_t gi = 0; gi < g.groups.size(); ++gi) {
    dot += "  subgraph cluster_" + std::to_string(gi) + " {\n  label=" + quoted(g.groups[gi].label) + ";\n";
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
      if (g.nodes[i].group == g.groups[gi].id) { dot += node_line(i); placed[i] = true; }
    }
    dot += "  }\n";
  }
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (!placed[i]) dot += node_line(i);
  }
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    auto from = index.find(g.edges[e].from), to = index.find(g.edges[e].to);
    if (from == index.end() || to == index.end()) continue;  // an edge to an unknown node is not drawn
    dot += "  n" + std::to_string(from->second) + " -> n" + std::to_string(to->second) + " [gbi=" +
           std::to_string(e);
    // xlabel, not label: Graphviz 2.42's dot double-frees in gvFreeLayout when labelled edges (laid out
    // as virtual nodes) cross clusters; external labels are placed after the layout instead.
    if (!g.edges[e].label.empty()) dot += ", xlabel=" + quoted(g.edges[e].label);
    dot += "];\n";
  }
  return dot + "}\n";
}

// Without Graphviz: nodes on a grid, straight edges. Keeps the panel usable and says why.
GraphLayout grid_layout(const trace::GraphScene& g, const MeasureText& measure, double line_height) {
  GraphLayout layout;
  auto columns = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(g.nodes.size()))));
  columns = std::max<std::size_t>(columns, 1);
  double cell_w = 0;
  for (const auto& n : g.nodes) cell_w = std::max(cell_w, measure(n.label) + 20.0);
  cell_w += 40;
  double cell_h = line_height * 4 + 12;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    NodeBox box{{cell_w * (static_cast<double>(i % columns) + 0.5), cell_h * (static_cast<double>(i / columns) + 0.5)},
                std::max(48.0, measure(g.nodes[i].label) + 20.0), line_height + 12};
    layout.nodes[g.nodes[i].id] = box;
  }
  layout.width = cell_w * static_cast<double>(columns);
  layout.height = cell_h * std::ceil(static_cast<double>(g.nodes.size()) / static_cast<double>(columns));
  for (const auto& e : g.edges) {
    EdgePath path;
    auto a = layout.nodes.find(e.from), b = layout.nodes.find(e.to);
    if (a != layout.nodes.end() && b != layout.nodes.end()) {
      Point p = a->second.center, q = b->second.center;
      path.bezier = {p, p, q, q};
    }
    layout.edges.push_back(path);
  }
  return layout;
}

}  // namespace

GraphLayout layout_graph(const trace::GraphScene& graph, const MeasureText& measure, double line_height,
                         bool left_to_right) {
  // libgvc and libcgraph keep global state (the DOT lexer, the plugin list): one layout at a time.
  static std::mutex graphviz;
  std::lock_guard<std::mutex> lock(graphviz);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) index.emplace(graph.nodes[i].id, i);
  if (graph.nodes.empty()) return GraphLayout{};

  std::string dot = to_dot(graph, index, measure, line_height, left_to_right);
  std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(gvContext(), gvFreeContext);
  Agraph_t* g = gvc ? agmemread(dot.c_str()) : nullptr;
  if (!g) {
    GraphLayout fallback = grid_layout(graph, measure, line_height);
    fallback.error = "Graphviz could not read the graph";
    return fallback;
  }
  if (gvLayout(gvc.get(), g, "dot") != 0) {
    agclose(g);
    GraphLayout fallback = grid_layout(graph, measure, line_height);
    fallback.error = "Graphviz 'dot' layout failed (is the dot plugin configured? see BUILD-NOTES.md)";
    return fallback;
  }

  // Graphviz has y pointing up with the bounding box from GD_bb; flip to screen coordinates.
  boxf bb = GD_bb(g);
  auto screen = [&](pointf p) { return Point{p.x - bb.LL.x, bb.UR.y - p.y}; };
  GraphLayout layout;
  layout.width = bb.UR.x - bb.LL.x;
  layout.height = bb.UR.y - bb.LL.y;
  layout.edges.resize(graph.edges.size());
  for (Agnode_t* n = agfstnode(g); n; n = agnxtnode(g, n)) {
    std::size_t i = std::stoul(agnameof(n) + 1);  // "n<i>"
    layout.nodes[graph.nodes[i].id] = NodeBox{screen(ND_coord(n)), ND_width(n) * 72.0, ND_height(n) * 72.0};
    for (Agedge_t* e = agfstout(g, n); e; e = agnxtout(g, e)) {
      const char* gbi = agget(e, const_cast<char*>("gbi"));
      if (!gbi || !*gbi || !ED_spl(e) || ED_spl(e)->size < 1) continue;
      EdgePath& path = layout.edges[std::stoul(gbi)];
      const bezier& curve = ED_spl(e)->list[0];
      for (int k = 0; k < curve.size; ++k) path.bezier.push_back(screen(curve.list[k]));
      if (curve.eflag) { path.has_tip = true; path.tip = screen(curve.ep); }
      if (ED_xlabel(e) && ED_xlabel(e)->set) {
        path.has_label = true;
        path.label = screen(ED_xlabel(e)->pos);
      } else if (!graph.edges[std::stoul(gbi)].label.empty()) {  // no room found: the curve's middle
        path.has_label = true;
        path.label = path.bezier[path.bezier.size() / 2];
      }
    }
  }
  for (int c = 1; c <= GD_n_cluster(g); ++c) {
    Agraph_t* cluster = GD_clust(g)[c];
    boxf cb = GD_bb(cluster);
    GroupBox group;
    group.label = GD_label(cluster) ? GD_label(cluster)->text : "";
    group.min = screen(pointf{cb.LL.x, cb.UR.y});
    group.max = screen(pointf{cb.UR.x, cb.LL.y});
    layout.groups.push_back(group);
  }
  gvFreeLayout(gvc.get(), g);
  agclose(g);
  return layout;
}

namespace {
std::string layout_key(const std::string& scene_id, const trace::GraphScene& g, bool left_to_right) {
  std::string key = scene_id + (left_to_right ? "\x1fLR\x1f" : "\x1fTB\x1f");
  for (const auto& n : g.nodes) key += n.id + '\x1e' + n.label + '\x1e' + n.group + '\x1f';
  key += '\x1d';
  for (const auto& e : g.edges) key += e.from + '\x1e' + e.to + '\x1e' + e.label + '\x1f';
  key += '\x1d';
  for (const auto& gr : g.groups) key += gr.id + '\x1e' + gr.label + '\x1f';
  return key;
}
}  // namespace

LayoutCache::~LayoutCache() = default;  // std::future from std::async waits for its worker

void LayoutCache::clear() {
  layouts_.clear();
  for (auto& [key, future] : pending_) retired_.push_back(std::move(future));
  pending_.clear();
}

const GraphLayout* LayoutCache::get(const std::string& scene_id, const trace::GraphScene& graph,
                                    const MeasureText& measure, double line_height, bool left_to_right) {
  std::erase_if(retired_, [](const std::future<GraphLayout>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  std::string key = layout_key(scene_id, graph, left_to_right);
  if (auto it = layouts_.find(key); it != layouts_.end()) return &it->second;
  if (auto it = pending_.find(key); it != pending_.end()) {
    if (it->second.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return nullptr;
    GraphLayout done = it->second.get();
    pending_.erase(it);
    return &layouts_.emplace(key, std::move(done)).first->second;
  }
  // Panels lay out the final graph, so keys are few (per scene, direction and collapsed groups); the
  // App clears the cache on every load and re-run. Never erase here: callers hold pointers.
  if (synchronous_ || (graph.nodes.size() <= kAsyncNodes && pending_.empty())) {
    return &layouts_.emplace(key, layout_graph(graph, measure, line_height, left_to_right)).first->second;
  }
  // The worker gets copies of the graph and of every label's width, nothing that ImGui owns.
  std::map<std::string, double> widths;
  for (const auto& n : graph.nodes) {
    for (const std::string* s : {&n.label, &n.id}) widths.emplace(*s, measure(*s));
  }
  pending_.emplace(key, std::async(std::launch::async, [graph, widths = std::move(widths), line_height, left_to_right] {
                     auto table = [&widths](const std::string& s) {
                       auto it = widths.find(s);
                       return it == widths.end() ? 8.0 * static_cast<double>(s.size()) : it->second;
                     };
                     return layout_graph(graph, table, line_height, left_to_right);
                   }));
  return nullptr;
}

}  // namespace gb::viewer
