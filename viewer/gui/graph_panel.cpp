// graph_panel.cpp: a Graph scene: Graphviz-laid-out nodes colored by state, value/gradient badges, lit
// nodes and edges, bezier edges with arrowheads, hover tooltips, fit-to-panel with wheel zoom and drag pan.
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>

#include "app.hpp"
#include "draw_util.hpp"

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

const char* state_name(trace::NodeState state) {
  switch (state) {
    case trace::NodeState::pending: return "pending";
    case trace::NodeState::running: return "running";
    case trace::NodeState::done: return "done";
    case trace::NodeState::none: break;
  }
  return "none";
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

void node_tooltip(const trace::GraphNode& n) {
  ImGui::BeginTooltip();
  ImGui::Text("%s", n.label.c_str());
  ImGui::TextDisabled("id %s", n.id.c_str());
  if (!n.op.empty()) ImGui::Text("op: %s", n.op.c_str());
  if (!n.shape.empty()) ImGui::Text("shape: %s", n.shape.c_str());
  if (!n.dtype.empty()) ImGui::Text("dtype: %s", n.dtype.c_str());
  ImGui::Text("state: %s", state_name(n.state));
  if (!n.value.empty()) ImGui::Text("value: %s", n.value.c_str());
  if (!n.gradient.empty()) ImGui::Text("gradient: %s", n.gradient.c_str());
  ImGui::EndTooltip();
}

void legend(ImDrawList* draw, ImVec2 at) {
  for (auto state : {trace::NodeState::pending, trace::NodeState::running, trace::NodeState::done}) {
    draw->AddRectFilled(at, ImVec2(at.x + 10, at.y + 10), node_colors(state).fill, 2);
    draw->AddText(ImVec2(at.x + 14, at.y - 3), colors::faint, state_name(state));
    at.x += 24 + ImGui::CalcTextSize(state_name(state)).x;
  }
}

}  // namespace

void draw_graph_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  const trace::GraphScene& graph = now.scene.graph;
  if (graph.nodes.empty()) {
    ImGui::TextDisabled("(no nodes yet)");
    return;
  }
  ImFont* font = app.fonts.body;
  const float font_size = font->FontSize;
  auto measure = [&](const std::string& s) {
    return static_cast<double>(font->CalcTextSizeA(font_size, FLT_MAX, 0.0f, s.c_str()).x);
  };
  ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 size = ImGui::GetContentRegionAvail();
  size.x = std::max(size.x, 20.0f);
  size.y = std::max(size.y, 20.0f);
  const float margin = 12, legend_h = 20;
  auto fit_of = [&](const GraphLayout& l) {
    return static_cast<float>(std::min({(size.x - 2 * margin) / std::max(l.width, 1.0),
                                        (size.y - 2 * margin - legend_h) / std::max(l.height, 1.0), 1.5}));
  };
  // Laid out from the final graph, so nodes added step by step keep their places. Small graphs try
  // both directions and take the one that fits the panel larger (a wide panel: left to right).
  const auto& all = final.scene.graph;
  const GraphLayout* layout = &app.layouts.get(final.scene.id, all, measure, font_size, true);
  if (all.nodes.size() <= 300) {
    const GraphLayout& top_down = app.layouts.get(final.scene.id, all, measure, font_size, false);
    if (fit_of(top_down) > fit_of(*layout) * 1.1f) layout = &top_down;
  }
  const float fit = fit_of(*layout);
  ImGui::InvisibleButton("canvas", size);
  const bool hovered = ImGui::IsItemHovered();
  const ImGuiIO& io = ImGui::GetIO();

  GraphView& view = app.graph_views[now.scene.id];
  const ImVec2 panel_center(origin.x + size.x * 0.5f, origin.y + size.y * 0.5f);
  float scale = std::max(fit, 0.05f) * view.zoom;
  if (hovered && io.MouseWheel != 0) {  // zoom around the point under the mouse
    float zoom = std::clamp(view.zoom * std::pow(1.15f, io.MouseWheel), 0.2f, 10.0f);
    float ratio = zoom / view.zoom;
    view.pan.x = io.MousePos.x - panel_center.x - (io.MousePos.x - panel_center.x - view.pan.x) * ratio;
    view.pan.y = io.MousePos.y - panel_center.y - (io.MousePos.y - panel_center.y - view.pan.y) * ratio;
    view.zoom = zoom;
    scale = std::max(fit, 0.05f) * view.zoom;
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    view.pan.x += io.MouseDelta.x;
    view.pan.y += io.MouseDelta.y;
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) view = GraphView{};

  auto to_screen = [&](const Point& p) {
    return ImVec2(panel_center.x + view.pan.x + static_cast<float>(p.x - layout->width * 0.5) * scale,
                  panel_center.y + view.pan.y + static_cast<float>(p.y - layout->height * 0.5) * scale - legend_h * 0.5f);
  };

  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), true);

  for (const auto& group : layout->groups) {
    ImVec2 a = to_screen(group.min), b = to_screen(group.max);
    draw->AddRectFilled(a, b, IM_COL32(255, 255, 255, 10), 6);
    draw->AddRect(a, b, IM_COL32(255, 255, 255, 50), 6);
    draw->AddText(font, font_size * 0.85f * scale, ImVec2(a.x + 6, a.y + 3), colors::faint, group.label.c_str());
  }

  // Edges, found in the layout by their place in the final graph.
  std::map<std::string, std::size_t> edge_index;
  for (std::size_t i = 0; i < final.scene.graph.edges.size(); ++i) edge_index.emplace(edge_key(final.scene.graph.edges[i]), i);
  for (const auto& edge : graph.edges) {
    auto it = edge_index.find(edge_key(edge));
    if (it == edge_index.end() || it->second >= layout->edges.size()) continue;
    const EdgePath& path = layout->edges[it->second];
    if (path.bezier.size() < 4) continue;
    const bool lit = now.highlighted.count(edge.id) > 0;
    const ImU32 color = lit ? colors::highlight : IM_COL32(160, 165, 175, 255);
    const float thickness = (lit ? 3.0f : 1.4f) * std::clamp(scale, 0.6f, 1.5f);
    std::vector<ImVec2> p;
    for (const auto& q : path.bezier) p.push_back(to_screen(q));
    for (std::size_t k = 0; k + 3 < p.size(); k += 3) draw->AddBezierCubic(p[k], p[k + 1], p[k + 2], p[k + 3], color, thickness);
    if (path.has_tip) {
      arrow_head(draw, p.back(), to_screen(path.tip), std::max(6.0f, 10.0f * scale), color);
    } else {
      arrow_head(draw, p[p.size() - 2], p.back(), std::max(6.0f, 10.0f * scale), color);
    }
    if (path.has_label && !edge.label.empty()) {
      centered_text(draw, font, font_size * 0.8f * scale, to_screen(path.label), colors::label, edge.label);
    }
  }

  const trace::GraphNode* hovered_node = nullptr;
  for (const auto& node : graph.nodes) {
    auto it = layout->nodes.find(node.id);
    if (it == layout->nodes.end()) continue;
    const NodeBox& box = it->second;
    ImVec2 c = to_screen(box.center);
    float hw = static_cast<float>(box.width) * 0.5f * scale, hh = static_cast<float>(box.height) * 0.5f * scale;
    ImVec2 min(c.x - hw, c.y - hh), max(c.x + hw, c.y + hh);
    NodeColors nc = node_colors(node.state);
    draw->AddRectFilled(min, max, nc.fill, 6 * scale);
    if (now.highlighted.count(node.id)) {
      draw->AddRect(ImVec2(min.x - 2, min.y - 2), ImVec2(max.x + 2, max.y + 2), colors::highlight, 7 * scale, 0,
                    std::max(2.5f, 3.5f * scale));
    } else {
      draw->AddRect(min, max, IM_COL32(255, 255, 255, 60), 6 * scale);
    }
    centered_text(draw, font, font_size * scale, c, nc.text, node.label.empty() ? node.id : node.label);
    // Badges under the node: the value it computed, then the gradient flowing back into it.
    float y = max.y + 2 * scale;
    const float badge_size = font_size * 0.85f * scale;
    const float badge_w = std::max(2 * hw + 24 * scale, 70 * scale);
    if (!node.value.empty()) {
      y += badge(draw, font, badge_size, ImVec2(c.x, y), "= " + node.value, badge_w, IM_COL32(40, 90, 160, 235)) + 2 * scale;
    }
    if (!node.gradient.empty()) badge(draw, font, badge_size, ImVec2(c.x, y), "grad " + node.gradient, badge_w, IM_COL32(150, 60, 110, 235));
    if (hovered && mouse_in(min, max)) hovered_node = &node;
  }
  legend(draw, ImVec2(origin.x + 4, origin.y + size.y - 14));
  if (!layout->error.empty()) {
    draw->AddText(ImVec2(origin.x + 4, origin.y + size.y - 32), IM_COL32(255, 90, 90, 255), layout->error.c_str());
  }
  draw->PopClipRect();
  if (hovered_node && !ImGui::IsMouseDragging(ImGuiMouseButton_Left)) node_tooltip(*hovered_node);
}

}  // namespace gb::viewer
