// graph_view.hpp: the graph panel's canvas: fit-to-panel, wheel zoom, drag pan, the toolbar (fit, minimap,
// groups) and the minimap of large graphs. graph_panel.cpp draws the nodes and edges through it.
#pragma once

#include <imgui.h>

#include <utility>

#include "app.hpp"
#include "graph_layout.hpp"

namespace gb::viewer {

struct GraphCanvas {
  ImVec2 origin, size;       // the panel area (screen pixels)
  float legend_h = 20, margin = 12;
  float scale = 1;           // pixels per layout unit: fit x zoom
  ImVec2 center;             // where the layout's center lands (panel center + pan)
  double layout_w = 0, layout_h = 0;
  bool hovered = false, active = false;

  // The zoom at which `layout` fills the panel (at most 1.5: small graphs are not blown up).
  float fit_of(const GraphLayout& layout) const;
  // Applies the mouse (wheel zoom around the pointer, drag pan, double-click fit) and fixes scale.
  void place(const GraphLayout& layout, GraphView& view);
  ImVec2 to_screen(const Point& p) const;
  Point to_layout(ImVec2 s) const;
  ImVec2 max() const { return ImVec2(origin.x + size.x, origin.y + size.y); }
};

// Claims the rest of the panel as an invisible button (for hover, wheel and drag).
GraphCanvas begin_graph_canvas();
// On the scene's title line: Fit, Map (minimap of graphs of more than kMinimapNodes), Groups.
void graph_toolbar(GraphView& view, const trace::GraphScene& graph);
// A small picture of the whole graph in the bottom-right corner with the visible part outlined;
// clicking or dragging in it moves the view there. Returns the picture's rectangle (min, max), empty when
// the layout is.
std::pair<ImVec2, ImVec2> draw_minimap(ImDrawList* draw, const GraphCanvas& canvas, const GraphLayout& layout,
                  const trace::GraphScene& graph, GraphView& view);

}  // namespace gb::viewer
