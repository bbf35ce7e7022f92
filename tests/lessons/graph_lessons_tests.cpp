// graph_lessons_tests.cpp: lessons 06-09 (graphs, scheduling, control flow, dynamic to static), checked
// on what their recordings hold after the last step, independently of the scenarios' own checks.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

gb::trace::Scene final_scene(const gb::trace::Recording& r, const std::string& id) {
  const gb::trace::State state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw std::runtime_error("no scene " + id);
  return s->scene;
}

std::multiset<std::string> ops_of(const gb::trace::GraphScene& g) {
  std::multiset<std::string> ops;
  for (const auto& n : g.nodes) ops.insert(n.op);
  return ops;
}

TEST(Lesson06, TheBackwardPassAppendsNodesInTheBackwardGroup) {
  const auto r = gb::lessons::run("06-computation-graph");
  const auto backward = final_scene(r, "backward").graph;
  std::size_t forward_nodes = 0, backward_nodes = 0;
  for (const auto& n : backward.nodes) {
    forward_nodes += n.group != "backward";
    backward_nodes += n.group == "backward";
  }
  EXPECT_GT(forward_nodes, 0u);
  EXPECT_GT(backward_nodes, 0u);
  EXPECT_EQ(ops_of(final_scene(r, "custom").graph).count("MyReLU"), 1u);
}

TEST(Lesson07, EveryNodeRunsOnceOnTheTimelineWithForwardAndBackwardSpans) {
  const auto r = gb::lessons::run("07-scheduling", {{"width", "3"}, {"threads", "2"}});
  const auto timeline = final_scene(r, "parallel_timeline").timeline;
  std::set<std::string> categories, names;
  for (const auto& span : timeline.spans) {
    categories.insert(span.category);
    EXPECT_TRUE(names.insert(span.id).second) << "a node ran twice: " << span.id;
  }
  EXPECT_TRUE(categories.count("forward"));
  EXPECT_TRUE(categories.count("backward"));
  EXPECT_EQ(timeline.lanes.size(), 2u);
  // The FIFO run left every node done.
  for (const auto& n : final_scene(r, "fifo_graph").graph.nodes) {
    EXPECT_EQ(n.state, gb::trace::NodeState::done) << n.id;
  }
}

TEST(Lesson08, TheLoweredGraphHasTheFivePrimitives) {
  const auto r = gb::lessons::run("08-control-flow", {{"n", "2"}});
  const auto ops = ops_of(final_scene(r, "lowered").graph);
  for (const char* op : {"Enter", "Merge", "Switch", "NextIteration", "Exit"}) EXPECT_GE(ops.count(op), 1u) << op;
  EXPECT_EQ(ops.count("While"), 0u);
  EXPECT_EQ(ops_of(final_scene(r, "functional").graph).count("While"), 1u);
}

TEST(Lesson09, ParsingAgreesWithEagerAndEachTraceIsWrongOnTheOtherInput) {
  const auto r = gb::lessons::run("09-dynamic-to-static");
  const auto table = final_scene(r, "compare").table;
  ASSERT_EQ(table.rows.size(), 2u);
  const auto& a = table.rows[0];
  const auto& b = table.rows[1];
  EXPECT_EQ(a[1], a[4]);  // parsed == eager
  EXPECT_EQ(b[1], b[4]);
  EXPECT_EQ(a[1], a[2]);  // the trace of A is right on A ...
  EXPECT_NE(b[1], b[2]);  // ... and wrong on B
  EXPECT_EQ(b[1], b[3]);
  EXPECT_NE(a[1], a[3]);
  EXPECT_EQ(ops_of(final_scene(r, "parsed").graph).count("If"), 1u);
}

}  // namespace
