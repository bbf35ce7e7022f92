// graph_view.cpp: the graph panel's canvas, toolbar and minimap (see graph_view.hpp).
#include "graph_view.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "draw_util.hpp"

namespace gb::viewer {

GraphCanvas begin_graph_canvas() {
  GraphCanvas c;
  c.origin = ImGui::GetCursorScreenPos();
  c.size = ImGui::GetContentRegionAvail();
  c.size.x = std::max(c.size.x, 20.0f);
  c.size.y = std::max(c.size.y, 20.0f);
  ImGui::InvisibleButton("canvas", c.size);
  c.hovered = ImGui::IsItemHovered();
  c.active = ImGui::IsItemActive();
  return c;
}

float GraphCanvas::fit_of(const GraphLayout& l) const {
  return static_cast<float>(std::min({(size.x - 2 * margin) / std::max(l.width, 1.0),
                                      (size.y - 2 * margin - legend_h) / std::max(l.height, 1.0), 1.5}));
}

void GraphCanvas::place(const GraphLayout& layout, GraphView& view) {
  layout_w = layout.width;
  layout_h = layout.height;
  const float fit = std::max(fit_of(layout), 0.02f);
  const ImVec2 panel_center(origin.x + size.x * 0.5f, origin.y + size.y * 0.5f - legend_h * 0.5f);
  const ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0) {  // zoom around the point under the mouse
    float zoom = std::clamp(view.zoom * std::pow(1.15f, io.MouseWheel), 0.2f, 20.0f);
    float ratio = zoom / view.zoom;
    view.pan.x = io.MousePos.x - panel_center.x - (io.MousePos.x - panel_center.x - view.pan.x) * ratio;
    view.pan.y = io.MousePos.y - panel_center.y - (io.MousePos.y - panel_center.y - view.pan.y) * ratio;
    view.zoom = zoom;
  }
  if (active && !view.dragging_minimap && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    view.pan.x += io.MouseDelta.x;
    view.pan.y += io.MouseDelta.y;
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    view.zoom = 1;
    view.pan = ImVec2(0, 0);
  }
  scale = fit * view.zoom;
  center = ImVec2(panel_center.x + view.pan.x, panel_center.y + view.pan.y);
}

ImVec2 GraphCanvas::to_screen(const Point& p) const {
  return ImVec2(center.x + static_cast<float>(p.x - layout_w * 0.5) * scale,
                center.y + static_cast<float>(p.y - layout_h * 0.5) * scale);
}

Point GraphCanvas::to_layout(ImVec2 s) const {
  return Point{(s.x - center.x) / scale + layout_w * 0.5, (s.y - center.y) / scale + layout_h * 0.5};
}

void graph_toolbar(GraphView& view, const trace::GraphScene& graph) {
  std::string labels = "Fit";
  if (graph.nodes.size() > kMinimapNodes) labels += " Map: off";
  if (!graph.groups.empty()) labels += " Collapse groups";
  const int buttons = 1 + (graph.nodes.size() > kMinimapNodes) + !graph.groups.empty();
  title_toolbar(ImGui::CalcTextSize(labels.c_str()).x + static_cast<float>(buttons) * (ImGui::GetStyle().FramePadding.x * 2 + 8));
  if (small_button("Fit", "Fit the whole graph in the panel (or double-click it).\n"
                          "Mouse wheel zooms around the pointer; drag to pan.")) {
    view.zoom = 1;
    view.pan = ImVec2(0, 0);
  }
  if (graph.nodes.size() > kMinimapNodes) {
    ImGui::SameLine();
    if (small_button(view.minimap ? "Map: on" : "Map: off", "Show or hide the minimap of this large graph\n"
                                                           "(click or drag in it to move the view)")) {
      view.minimap = !view.minimap;
    }
  }
  if (!graph.groups.empty()) {
    ImGui::SameLine();
    const bool any = !view.collapsed.empty();
    if (small_button(any ? "Expand groups" : "Collapse groups",
                     "Draw every group as one box, or every group open.\n"
                     "Click a group's [-] label to collapse it alone, a [+] box to expand it.")) {
      if (any) {
        view.collapsed.clear();
      } else {
        for (const auto& g : graph.groups) view.collapsed.insert(g.id);
      }
    }
  }
}

std::pair<ImVec2, ImVec2> draw_minimap(ImDrawList* draw, const GraphCanvas& canvas, const GraphLayout& layout,
                                       const trace::GraphScene& graph, GraphView& view) {
  if (layout.width <= 0 || layout.height <= 0) return {};
  const float w_max = std::min(180.0f, canvas.size.x * 0.3f), h_max = std::min(120.0f, canvas.size.y * 0.3f);
  const float k = static_cast<float>(std::min(w_max / layout.width, h_max / layout.height));
  const ImVec2 size(static_cast<float>(layout.width) * k, static_cast<float>(layout.height) * k);
  const ImVec2 max(canvas.origin.x + canvas.size.x - 6, canvas.origin.y + canvas.size.y - 6);
  const ImVec2 min(max.x - size.x, max.y - size.y);
  draw->AddRectFilled(ImVec2(min.x - 3, min.y - 3), ImVec2(max.x + 3, max.y + 3), IM_COL32(15, 16, 20, 230), 4);
  draw->AddRect(ImVec2(min.x - 3, min.y - 3), ImVec2(max.x + 3, max.y + 3), IM_COL32(255, 255, 255, 70), 4);
  auto mini = [&](const Point& p) { return ImVec2(min.x + static_cast<float>(p.x) * k, min.y + static_cast<float>(p.y) * k); };
  for (const auto& node : graph.nodes) {
    auto it = layout.nodes.find(node.id);
    if (it == layout.nodes.end()) continue;
    ImVec2 c = mini(it->second.center);
    const float hw = std::max(1.0f, static_cast<float>(it->second.width) * k * 0.5f);
    const ImU32 color = node.state == trace::NodeState::done      ? IM_COL32(56, 142, 72, 255)
                        : node.state == trace::NodeState::running ? IM_COL32(230, 190, 40, 255)
                                                                  : IM_COL32(140, 145, 160, 255);
    draw->AddRectFilled(ImVec2(c.x - hw, c.y - 1), ImVec2(c.x + hw, c.y + 1), color);
  }
  // The part of the graph the panel shows now.
  Point a = canvas.to_layout(canvas.origin), b = canvas.to_layout(canvas.max());
  ImVec2 va = mini(a), vb = mini(b);
  va = ImVec2(std::clamp(va.x, min.x, max.x), std::clamp(va.y, min.y, max.y));
  vb = ImVec2(std::clamp(vb.x, min.x, max.x), std::clamp(vb.y, min.y, max.y));
  draw->AddRect(va, vb, colors::highlight, 0, 0, 1.5f);
  // Click or drag in the minimap: center the view on that point.
  if (ImGui::IsMouseDown(ImGuiMouseButton_Left) && mouse_in(min, max) && canvas.hovered) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const double wx = (m.x - min.x) / k, wy = (m.y - min.y) / k;
    view.pan.x = static_cast<float>(-(wx - layout.width * 0.5) * canvas.scale);
    view.pan.y = static_cast<float>(-(wy - layout.height * 0.5) * canvas.scale);
    view.dragging_minimap = true;
  }
  if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) view.dragging_minimap = false;
  return {min, max};
}

}  // namespace gb::viewer
