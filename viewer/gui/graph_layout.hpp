// graph_layout.hpp: positions for a Graph scene's nodes, edges and groups, computed by Graphviz `dot`.
//
// A layout depends only on the node/edge/group set, never on node states or badges, so it is
// computed once per scene and reused while the learner steps (LayoutCache). Coordinates are in
// pixels at zoom 1, y pointing down, (0, 0) the top-left corner of the drawing.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gb/trace/recording.hpp"

namespace gb::viewer {

struct Point {
  double x = 0, y = 0;
};

struct NodeBox {
  Point center;
  double width = 0, height = 0;
};

struct EdgePath {
  std::vector<Point> bezier;  // 1 + 3k points: a cubic Bezier chain from the tail to the head
  bool has_tip = false;       // Graphviz ended the curve short of the head to leave room for an arrow
  Point tip;                  // where the arrow points (valid when has_tip)
  bool has_label = false;
  Point label;                // center of the edge label
};

struct GroupBox {
  std::string label;
  Point min, max;
};

struct GraphLayout {
  double width = 0, height = 0;
  std::map<std::string, NodeBox> nodes;  // by node id
  std::vector<EdgePath> edges;           // in GraphScene::edges order (empty bezier: not laid out)
  std::vector<GroupBox> groups;
  std::string error;                     // why Graphviz failed (the fallback grid was used)
};

// Measures a node's label in pixels (the panel passes ImGui's text size), so boxes fit the text.
using MeasureText = std::function<double(const std::string&)>;

// Lays out with Graphviz: data flows left to right (left_to_right) or top to bottom, with room for
// the value and gradient badges under each node. Falls back to a grid, with `error` set, if Graphviz cannot.
GraphLayout layout_graph(const trace::GraphScene& graph, const MeasureText& measure, double line_height,
                         bool left_to_right);

class LayoutCache {
 public:
  // The layout for `graph` in scene `scene_id`, computed at most once per node/edge/group set.
  const GraphLayout& get(const std::string& scene_id, const trace::GraphScene& graph, const MeasureText& measure,
                         double line_height, bool left_to_right);
  void clear() { layouts_.clear(); }

 private:
  std::map<std::string, GraphLayout> layouts_;  // key: scene id + the structure (see layout_key)
};

}  // namespace gb::viewer
