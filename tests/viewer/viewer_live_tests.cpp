// viewer_live_tests.cpp: the graph panel in a real (hidden) window under Xvfb, driven by scripted mouse
// input (Window::script_mouse): a click on a cluster's label collapses the group into one box, a click on
// the box expands it again, and a click in the minimap moves the view there. Label `viewer`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app.hpp"
#include "window.hpp"

namespace gb::viewer {
namespace {

// 120 nodes (more than kMinimapNodes, so the minimap shows) in 12 layers of 10, each node fed by the one
// above it and its neighbour; layers 2 and 3 (nodes 20-39) form the group "block".
trace::Recording grouped_recording() {
  trace::Recording r;
  r.lesson = "live";
  r.title = "scripted clicks";
  trace::Scene graph;
  graph.id = "graph";
  graph.title = "a grouped graph";
  graph.kind = trace::SceneKind::graph;
  graph.graph.groups = {{"block", "block"}};
  for (int i = 0; i < 120; ++i) {
    trace::GraphNode n;
    n.id = "n" + std::to_string(i);
    n.label = "op " + std::to_string(i);
    n.group = i >= 20 && i < 40 ? "block" : "";
    graph.graph.nodes.push_back(n);
    if (i >= 10) {
      graph.graph.edges.push_back({"a" + std::to_string(i), "n" + std::to_string(i - 10), n.id, ""});
      if (i % 10 != 9) graph.graph.edges.push_back({"b" + std::to_string(i), "n" + std::to_string(i - 9), n.id, ""});
    }
  }
  r.scenes.push_back(graph);
  trace::Step step;
  step.caption = "the first step.";
  r.steps.push_back(step);
  return r;
}

class ViewerLive : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display) GTEST_SKIP() << "no display (run under xvfb-run -a)";
    window_ = std::make_unique<Window>(1280, 800, /*visible=*/false, "viewer_live_tests");
    app_.fonts = window_->fonts();
    app_.layouts.set_synchronous(true);
    app_.session.load_recording(grouped_recording(), "live");
    app_.session.seek(0);
    for (int i = 0; i < 3; ++i) frame();  // layout and scrolling settle
  }
  void frame() {
    window_->begin_frame();
    draw_app(app_);
    window_->render();
    window_->swap();
  }
  // A click: the pointer moves there, the button goes down for one frame, then up.
  void click(std::int64_t x, std::int64_t y) {
    const float fx = static_cast<float>(x), fy = static_cast<float>(y);
    window_->script_mouse({fx, fy, false});
    frame();
    window_->script_mouse({fx, fy, true});
    frame();
    window_->script_mouse({fx, fy, false});
    frame();
    frame();
  }
  std::int64_t stat(const char* what) {
    auto& counts = app_.stats.scenes["graph"].second;
    auto it = counts.find(what);
    return it == counts.end() ? -1 : it->second;
  }
  std::unique_ptr<Window> window_;
  App app_;
};

TEST_F(ViewerLive, ClickOnAGroupLabelCollapsesItAndOnTheBoxExpandsIt) {
  ASSERT_EQ(stat("nodes_drawn"), 120);
  ASSERT_EQ(stat("group_boxes_drawn"), 0);
  ASSERT_GE(stat("first_group_label_x"), 0);
  click(stat("first_group_label_x"), stat("first_group_label_y"));
  EXPECT_TRUE(app_.graph_views["graph"].collapsed.count("block"));
  EXPECT_EQ(stat("group_boxes_drawn"), 1);
  EXPECT_EQ(stat("nodes_in_group_boxes"), 20);
  EXPECT_EQ(stat("nodes_drawn"), 100);
  ASSERT_GE(stat("first_group_box_x"), 0);
  click(stat("first_group_box_x"), stat("first_group_box_y"));
  EXPECT_FALSE(app_.graph_views["graph"].collapsed.count("block"));
  EXPECT_EQ(stat("group_boxes_drawn"), 0);
  EXPECT_EQ(stat("nodes_drawn"), 120);
}

TEST_F(ViewerLive, ClickInTheMinimapMovesTheView) {
  ASSERT_EQ(stat("minimap"), 1);
  const std::int64_t x0 = stat("minimap_x0"), y0 = stat("minimap_y0"), x1 = stat("minimap_x1"), y1 = stat("minimap_y1");
  ASSERT_LT(x0, x1);
  ASSERT_LE(y0, y1);
  const ImVec2 before = app_.graph_views["graph"].pan;
  // A point near one corner of the picture: the view centres there, away from where it was.
  click(x0 + 2, y0 + 1);
  const ImVec2 after = app_.graph_views["graph"].pan;
  EXPECT_TRUE(after.x != before.x || after.y != before.y) << "pan stayed at " << before.x << ", " << before.y;
  click(x1 - 2, y1 - 1);
  const ImVec2 other = app_.graph_views["graph"].pan;
  EXPECT_TRUE(other.x != after.x || other.y != after.y);
}

}  // namespace
}  // namespace gb::viewer
