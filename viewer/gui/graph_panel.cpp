// graph_panel.cpp: a Graph scene: Graphviz-laid-out nodes colored by state, value/gradient badges, the lit
// nodes with their inputs and outputs, collapsible groups, and the toolbar (fit, minimap, groups).
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <vector>

#include "app.hpp"
#include "draw_util.hpp"
#include "graph_groups.hpp"
#include "graph_view.hpp"

namespace gb::viewer {
namespace {

struct NodeColors {
  ImU32 fill, text;
};

// pending grey, running yellow, done green (the colors the lesson texts name).
NodeColors node_colors(trace::NodeState state) {
  switch (state) {
    case trace::NodeState::pending: return {IM_COL32(105, 105, 110, 255), IM_COL32(240, 240, 240, 255)};
    case trace::NodeState::running: return {IM_COL32(230, 190, 40, 255), IM_COL32(25, 25, 25, 255)};
    case trace::NodeState::done: return {IM_COL32(56, 142, 72, 255), IM_COL32(245, 245, 245, 255)};
    case trace::NodeState::none: break;
  }
  return {IM_COL32(58, 70, 92, 255), IM_COL32(235, 235, 235, 255)};
}

std::string edge_key(const trace::GraphEdge& e) { return e.id.empty() ? e.from + "->" + e.to : e.id; }

// A small rounded label under a node: "= value" or "grad value", cut to `max_width` with "..." (the
// tooltip has the whole value).
float badge(ImDrawList* draw, ImFont* font, float size, ImVec2 top_center, std::string text, float max_width, ImU32 fill) {
  ImVec2 extent = font->CalcTextSizeA(size, FLT_MAX, 0.0f, text.c_str());
  while (extent.x > max_width && text.size() > 4) {
    text.erase(text.size() - 4);
    text += "...";
    extent = font->CalcTextSizeA(size, FLT_MAX, 0.0f, text.c_str());
  }
  float pad = size * 0.3f;
  ImVec2 min(top_center.x - extent.x * 0.5f - pad, top_center.y);
  ImVec2 max(top_center.x + extent.x * 0.5f + pad, top_center.y + extent.y + pad * 0.5f);
  draw->AddRectFilled(min, max, fill, size * 0.3f);
  draw->AddText(font, size, ImVec2(min.x + pad, min.y + pad * 0.25f), IM_COL32(245, 245, 245, 255), text.c_str());
  return max.y - min.y;
}

void node_tooltip(const trace::GraphNode& n, const CollapsedGraph* collapsed) {
  ImGui::BeginTooltip();
  ImGui::Text("%s", n.label.c_str());
  ImGui::TextDisabled("id %s", n.id.c_str());
  if (collapsed) {
    if (auto m = collapsed->members.find(n.id); m != collapsed->members.end()) {
      ImGui::Text("a collapsed group of %zu nodes: click to expand it", m->second.size());
    }
  }
  if (!n.op.empty()) ImGui::Text("op: %s", n.op.c_str());
  if (!n.shape.empty()) ImGui::Text("shape: %s", n.shape.c_str());
  if (!n.dtype.empty()) ImGui::Text("dtype: %s", n.dtype.c_str());
  ImGui::Text("state: %s", trace::node_state_name(n.state));
  if (!n.value.empty()) ImGui::Text("value: %s", n.value.c_str());
  if (!n.gradient.empty()) ImGui::Text("gradient: %s", n.gradient.c_str());
  ImGui::EndTooltip();
}

void legend(ImDrawList* draw, ImVec2 at, float right) {
  for (auto state : {trace::NodeState::pending, trace::NodeState::running, trace::NodeState::done}) {
    draw->AddRectFilled(at, ImVec2(at.x + 10, at.y + 10), node_colors(state).fill, 2);
    draw->AddText(ImVec2(at.x + 14, at.y - 3), colors::faint, trace::node_state_name(state));
    at.x += 24 + ImGui::CalcTextSize(trace::node_state_name(state)).x;
  }
  // The lit node's inputs and outputs: the colors of cells read and written in the tensor panel.
  for (auto [name, color] : {std::pair{"input", colors::read}, std::pair{"output", colors::written}}) {
    if (at.x + 18 + ImGui::CalcTextSize(name).x > right) break;
    draw->AddLine(ImVec2(at.x, at.y + 5), ImVec2(at.x + 14, at.y + 5), color, 2.5f);
    draw->AddText(ImVec2(at.x + 18, at.y - 3), colors::faint, name);
    at.x += 28 + ImGui::CalcTextSize(name).x;
  }
}

}  // namespace

void draw_graph_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  const std::string& scene_id = now.scene.id;
  GraphView& view = app.graph_views[scene_id];
  graph_toolbar(view, final.scene.graph);
  // The graphs drawn: as recorded, or with some groups collapsed into one box each.
  const trace::GraphScene* all = &final.scene.graph;
  const trace::GraphScene* graph = &now.scene.graph;
  const std::set<std::string>* lit = &now.highlighted;
  CollapsedGraph collapsed_all, collapsed_now;
  std::set<std::string> collapsed_lit;
  const bool collapsing = !view.collapsed.empty();
  if (collapsing) {
    collapsed_all = collapse_groups(*all, view.collapsed, {}, nullptr);
    collapsed_now = collapse_groups(*graph, view.collapsed, now.highlighted, &collapsed_lit);
    all = &collapsed_all.graph;
    graph = &collapsed_now.graph;
    lit = &collapsed_lit;
  }
  app.stats.add(scene_id, "graph", "nodes_in_scene", static_cast<std::int64_t>(now.scene.graph.nodes.size()));
  app.stats.add(scene_id, "graph", "edges_in_scene", static_cast<std::int64_t>(now.scene.graph.edges.size()));
  if (graph->nodes.empty()) {
    ImGui::TextDisabled("(no nodes yet)");
    return;
  }
  ImFont* font = app.fonts.body;
  const float font_size = font->FontSize;
  auto measure = [&](const std::string& s) {
    return static_cast<double>(font->CalcTextSizeA(font_size, FLT_MAX, 0.0f, s.c_str()).x);
  };
  GraphCanvas canvas = begin_graph_canvas();
  // Laid out from the final graph, so nodes added step by step keep their places. Small graphs try
  // both directions and take the one that fits the panel larger (a wide panel: left to right).
  const GraphLayout* layout = app.layouts.get(scene_id, *all, measure, font_size, true);
  if (layout && all->nodes.size() <= 300) {
    const GraphLayout* top_down = app.layouts.get(scene_id, *all, measure, font_size, false);
    if (top_down && canvas.fit_of(*top_down) > canvas.fit_of(*layout) * 1.1f) layout = top_down;
  }
  if (!layout) {  // a large graph is being laid out on a worker thread
    ImGui::GetWindowDrawList()->AddText(ImVec2(canvas.origin.x + 8, canvas.origin.y + 8), colors::label,
                                        ("laying out " + std::to_string(all->nodes.size()) + " nodes...").c_str());
    app.stats.add(scene_id, "graph", "layout_pending", 1);
    return;
  }
  canvas.place(*layout, view);
  const bool hovered = canvas.hovered;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(canvas.origin, canvas.max(), true);
  const float scale = canvas.scale;
  const bool show_text = font_size * scale >= 5.0f;  // level of detail: no unreadable text

  std::string clicked_group;  // a click on a cluster label collapses it, on a collapsed box expands it
  for (std::size_t gi = 0; gi < layout->groups.size(); ++gi) {
    const auto& group = layout->groups[gi];
    ImVec2 a = canvas.to_screen(group.min), b = canvas.to_screen(group.max);
    draw->AddRectFilled(a, b, IM_COL32(255, 255, 255, 10), 6);
    draw->AddRect(a, b, IM_COL32(255, 255, 255, 50), 6);
    std::string label = "[-] " + group.label;
    if (show_text) draw->AddText(font, font_size * 0.85f * scale, ImVec2(a.x + 6, a.y + 3), colors::faint, label.c_str());
    // The label's area, never smaller than 28 x 14 pixels: zoomed far out (no text) the corner still collapses.
    ImVec2 label_max(a.x + std::max(28.0f, 6 + font->CalcTextSizeA(font_size * 0.85f * scale, FLT_MAX, 0, label.c_str()).x),
                     a.y + std::max(14.0f, 3 + font_size * scale));
    if (gi == 0) {  // where a click collapses the first group (for scripted tests)
      app.stats.add(scene_id, "graph", "first_group_label_x", static_cast<std::int64_t>(a.x + 10));
      app.stats.add(scene_id, "graph", "first_group_label_y", static_cast<std::int64_t>(a.y + 3 + font_size * scale * 0.5f));
    }
    if (hovered && mouse_in(a, label_max) && gi < all->groups.size()) {
      ImGui::SetTooltip("group %s: click to collapse it into one box", group.label.c_str());
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) clicked_group = all->groups[gi].id;
    }
  }

  // Which drawn nodes feed the lit nodes (inputs) and which they feed (outputs).
  std::set<std::string> inputs, outputs;
  for (const auto& edge : graph->edges) {
    if (lit->count(edge.to)) inputs.insert(edge.from);
    if (lit->count(edge.from)) outputs.insert(edge.to);
  }
  // Edges, found in the layout by their place in the final graph (the index is kept per layout).
  if (view.edge_index_of != layout || view.edge_index.size() != all->edges.size()) {
    view.edge_index.clear();
    for (std::size_t i = 0; i < all->edges.size(); ++i) view.edge_index.emplace(edge_key(all->edges[i]), i);
    view.edge_index_of = layout;
  }
  // Level of detail: zoomed far out, edges become polylines through their segment ends and boxes lose
  // their rounded corners (fewer vertices for a software renderer); anything outside the panel is culled.
  // Coarse, the lines are also drawn without anti-aliasing (an anti-aliased line is a strip of feathered
  // triangles, and llvmpipe pays per triangle), arrow heads are left out (a few pixels each) and plain nodes
  // lose their border; the fills and every lit or highlighted outline stay.
  const bool coarse = scale < 0.35f;
  const ImDrawListFlags saved_flags = draw->Flags;
  if (coarse) draw->Flags &= ~(ImDrawListFlags_AntiAliasedLines | ImDrawListFlags_AntiAliasedLinesUseTex | ImDrawListFlags_AntiAliasedFill);
  const ImVec2 clip_min = canvas.origin, clip_max = canvas.max();
  auto outside = [&](ImVec2 lo, ImVec2 hi) { return hi.x < clip_min.x || lo.x > clip_max.x || hi.y < clip_min.y || lo.y > clip_max.y; };
  std::int64_t edges_drawn = 0, edges_lit = 0;
  std::vector<ImVec2> p;
  for (const auto& edge : graph->edges) {
    auto it = edge.id.empty() ? view.edge_index.find(edge_key(edge)) : view.edge_index.find(edge.id);
    if (it == view.edge_index.end() || it->second >= layout->edges.size()) continue;
    const EdgePath& path = layout->edges[it->second];
    if (path.bezier.size() < 4) continue;
    const bool lit_edge = lit->count(edge.id) > 0;
    const bool input = lit->count(edge.to) > 0, output = lit->count(edge.from) > 0;
    auto members = collapsing ? collapsed_now.edge_members.find(edge.id) : collapsed_now.edge_members.end();
    edges_drawn += members != collapsed_now.edge_members.end() ? static_cast<std::int64_t>(members->second.size()) : 1;
    edges_lit += lit_edge || input || output;
    p.clear();
    ImVec2 lo(FLT_MAX, FLT_MAX), hi(-FLT_MAX, -FLT_MAX);
    for (const auto& q : path.bezier) {
      p.push_back(canvas.to_screen(q));
      lo = ImVec2(std::min(lo.x, p.back().x), std::min(lo.y, p.back().y));
      hi = ImVec2(std::max(hi.x, p.back().x), std::max(hi.y, p.back().y));
    }
    if (outside(lo, hi)) continue;  // a Bezier curve lies inside the hull of its control points
    const ImU32 color = lit_edge ? colors::highlight : input ? colors::read : output ? colors::written : IM_COL32(160, 165, 175, 255);
    const float thickness = (lit_edge || input || output ? 3.0f : 1.4f) * std::clamp(scale, 0.6f, 1.5f);
    if (coarse) {
      std::vector<ImVec2> ends;
      for (std::size_t k = 0; k < p.size(); k += 3) ends.push_back(p[k]);
      draw->AddPolyline(ends.data(), static_cast<int>(ends.size()), color, ImDrawFlags_None, thickness);
    } else {
      for (std::size_t k = 0; k + 3 < p.size(); k += 3) draw->AddBezierCubic(p[k], p[k + 1], p[k + 2], p[k + 3], color, thickness);
    }
    const float tip = std::max(6.0f, 10.0f * scale);
    if (!coarse || lit_edge || input || output) {  // no plain arrow heads far out
      if (path.has_tip) arrow_head(draw, p.back(), canvas.to_screen(path.tip), tip, color);
      else arrow_head(draw, p[p.size() - 2], p.back(), tip, color);
    }
    if (show_text && path.has_label && !edge.label.empty()) {
      centered_text(draw, font, font_size * 0.8f * scale, canvas.to_screen(path.label), colors::label, edge.label);
    }
  }

  const trace::GraphNode* hovered_node = nullptr;
  std::int64_t nodes_drawn = 0, group_boxes = 0, nodes_in_boxes = 0;
  for (const auto& node : graph->nodes) {
    auto it = layout->nodes.find(node.id);
    if (it == layout->nodes.end()) continue;
    const NodeBox& box = it->second;
    ImVec2 c = canvas.to_screen(box.center);
    float hw = static_cast<float>(box.width) * 0.5f * scale, hh = static_cast<float>(box.height) * 0.5f * scale;
    ImVec2 min(c.x - hw, c.y - hh), max(c.x + hw, c.y + hh);
    NodeColors nc = node_colors(node.state);
    auto members = collapsing ? collapsed_now.members.find(node.id) : collapsed_now.members.end();
    const bool group_box = members != collapsed_now.members.end();
    if (group_box) {
      if (group_boxes == 0) {  // where a click expands the first collapsed box (for scripted tests)
        app.stats.add(scene_id, "graph", "first_group_box_x", static_cast<std::int64_t>(c.x));
        app.stats.add(scene_id, "graph", "first_group_box_y", static_cast<std::int64_t>(c.y));
      }
      ++group_boxes;
      nodes_in_boxes += static_cast<std::int64_t>(members->second.size());
    } else {
      ++nodes_drawn;
    }
    if (outside(ImVec2(min.x, min.y), ImVec2(max.x, max.y + (show_text ? 3 * font_size * scale : 0)))) continue;
    const float rounding = coarse ? 0.0f : 6 * scale;
    draw->AddRectFilled(min, max, nc.fill, rounding);
    if (group_box) {  // a collapsed group: a double border
      draw->AddRect(ImVec2(min.x - 3, min.y - 3), ImVec2(max.x + 3, max.y + 3), IM_COL32(255, 255, 255, 120), 7 * scale);
    }
    if (lit->count(node.id)) {
      draw->AddRect(ImVec2(min.x - 2, min.y - 2), ImVec2(max.x + 2, max.y + 2), colors::highlight, 7 * scale, 0,
                    std::max(2.5f, 3.5f * scale));
    } else if (inputs.count(node.id) || outputs.count(node.id)) {
      draw->AddRect(ImVec2(min.x - 1, min.y - 1), ImVec2(max.x + 1, max.y + 1), inputs.count(node.id) ? colors::read : colors::written,
                    6 * scale, 0, 2.0f);
    } else if (!coarse) {
      draw->AddRect(min, max, IM_COL32(255, 255, 255, 60), rounding);
    }
    if (show_text) centered_text(draw, font, font_size * scale, c, nc.text, node.label.empty() ? node.id : node.label);
    // Badges under the node: the value it computed, then the gradient flowing back into it.
    if (show_text) {
      float y = max.y + 2 * scale;
      const float badge_size = font_size * 0.85f * scale;
      const float badge_w = std::max(2 * hw + 24 * scale, 70 * scale);
      if (!node.value.empty()) {
        y += badge(draw, font, badge_size, ImVec2(c.x, y), (group_box ? "" : "= ") + node.value, badge_w, IM_COL32(40, 90, 160, 235)) + 2 * scale;
      }
      if (!node.gradient.empty()) badge(draw, font, badge_size, ImVec2(c.x, y), "grad " + node.gradient, badge_w, IM_COL32(150, 60, 110, 235));
    }
    if (hovered && mouse_in(min, max)) {
      hovered_node = &node;
      if (group_box && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) clicked_group = node.id.substr(6);  // "group:"
    }
  }
  draw->Flags = saved_flags;
  legend(draw, ImVec2(canvas.origin.x + 4, canvas.origin.y + canvas.size.y - 14), canvas.max().x);
  if (!layout->error.empty()) {
    draw->AddText(ImVec2(canvas.origin.x + 4, canvas.origin.y + canvas.size.y - 32), IM_COL32(255, 90, 90, 255), layout->error.c_str());
  }
  const bool minimap = view.minimap && all->nodes.size() > kMinimapNodes;
  if (minimap) {
    const auto [lo, hi] = draw_minimap(draw, canvas, *layout, *graph, view);
    for (const auto& [what, v] : {std::pair{"minimap_x0", lo.x}, {"minimap_y0", lo.y}, {"minimap_x1", hi.x}, {"minimap_y1", hi.y}}) {
      app.stats.add(scene_id, "graph", what, static_cast<std::int64_t>(v));
    }
  }
  draw->PopClipRect();
  if (!clicked_group.empty()) {
    if (!view.collapsed.erase(clicked_group)) view.collapsed.insert(clicked_group);
  }
  if (hovered_node && !ImGui::IsMouseDragging(ImGuiMouseButton_Left)) node_tooltip(*hovered_node, collapsing ? &collapsed_now : nullptr);

  app.stats.add(scene_id, "graph", "nodes_drawn", nodes_drawn);
  app.stats.add(scene_id, "graph", "group_boxes_drawn", group_boxes);
  app.stats.add(scene_id, "graph", "nodes_in_group_boxes", nodes_in_boxes);
  app.stats.add(scene_id, "graph", "edges_drawn", edges_drawn);
  app.stats.add(scene_id, "graph", "edges_lit", edges_lit);
  app.stats.add(scene_id, "graph", "lit_ids", static_cast<std::int64_t>(lit->size()));
  app.stats.add(scene_id, "graph", "minimap", minimap ? 1 : 0);
}

}  // namespace gb::viewer
