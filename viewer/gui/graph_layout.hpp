// graph_layout.hpp: positions for a Graph scene's nodes, edges and groups, computed by Graphviz `dot`.
//
// A layout depends only on the node/edge/group set, never on node states or badges, so it is
// computed once per scene and reused while the learner steps (LayoutCache). Coordinates are in
// pixels at zoom 1, y pointing down, (0, 0) the top-left corner of the drawing.
#pragma once

#include <cstddef>
#include <functional>
#include <future>
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
// Safe to call from any thread: Graphviz itself is not, so calls take turns (one mutex).
GraphLayout layout_graph(const trace::GraphScene& graph, const MeasureText& measure, double line_height,
                         bool left_to_right);

// Layouts by scene and structure, computed once. Graphs of more than kAsyncNodes nodes are laid out on
// a worker thread (std::async) so the window stays responsive; get() returns nullptr meanwhile and the
// panel says "laying out...". The label widths are measured on the calling thread (ImGui is not
// thread-safe), so the worker only sees copies.
class LayoutCache {
 public:
  static constexpr std::size_t kAsyncNodes = 150;
  LayoutCache() = default;
  LayoutCache(const LayoutCache&) = delete;
  LayoutCache& operator=(const LayoutCache&) = delete;
  ~LayoutCache();

  // The layout for `graph` in scene `scene_id`, or nullptr while a worker computes it.
  const GraphLayout* get(const std::string& scene_id, const trace::GraphScene& graph, const MeasureText& measure,
                         double line_height, bool left_to_right);
  // Drops every layout (a new Recording); layouts still being computed finish and are thrown away.
  void clear();
  // Lay out on the calling thread, always (screenshots and benchmarks want the finished picture).
  void set_synchronous(bool synchronous) { synchronous_ = synchronous; }
  std::size_t pending() const { return pending_.size(); }

 private:
  std::map<std::string, GraphLayout> layouts_;  // key: scene id + the structure (see layout_key)
  std::map<std::string, std::future<GraphLayout>> pending_;
  std::vector<std::future<GraphLayout>> retired_;  // from before clear(), dropped once ready
  bool synchronous_ = false;
};

}  // namespace gb::viewer
