// autodiff_lessons_tests.cpp: the numbers of lessons 02-derivatives, 03-forward-mode and
// 04-reverse-mode, checked against the golden values of the course (computed by hand / std::cmath).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

gb::trace::SceneState final_state(const gb::trace::Recording& r, const std::string& id) {
  const gb::trace::State state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw std::runtime_error("no scene " + id);
  return *s;
}

double number(const std::string& text) { return std::stod(text); }

TEST(Lesson02, EveryMethodGivesTheGoldenGradient) {
  const auto r = gb::lessons::run("02-derivatives");
  const auto methods = final_state(r, "methods").scene.table;
  ASSERT_EQ(methods.rows.size(), 5u);  // manual, numeric, symbolic, forward, reverse
  for (const auto& row : methods.rows) {
    EXPECT_NEAR(number(row[1]), 11.6521, 1e-4) << row[0];
    EXPECT_NEAR(number(row[2]), 5.5, 1e-5) << row[0];
    EXPECT_NEAR(number(row[3]), 2 - std::cos(5.0), 1e-5) << row[0];
  }
}

TEST(Lesson02, TheUCurveHasItsBottomNearTheCubeRootOfEpsilon) {
  const auto r = gb::lessons::run("02-derivatives");
  const auto plot = final_state(r, "u_curve").scene.plot;
  for (const auto& series : plot.series) {
    ASSERT_EQ(series.x.size(), 31u) << series.name;
    if (series.name != "central") continue;
    std::size_t best = 0;
    for (std::size_t i = 0; i < series.y.size(); ++i) if (series.y[i] < series.y[best]) best = i;
    EXPECT_GE(series.x[best], -7.5);  // log10 h of the bottom: eps^(1/3) ~ 6e-6
    EXPECT_LE(series.x[best], -3.5);
    EXPECT_GT(series.y.front(), series.y[best] + 2);  // two orders of magnitude worse at h = 0.1 ...
    EXPECT_GT(series.y.back(), series.y[best] + 2);   // ... and at h = 1e-16
  }
}

TEST(Lesson02, SwellDoublesTheTreeAndGrowsTheGraphBy5) {
  const auto r = gb::lessons::run("02-derivatives", {{"swell_n", "6"}});
  const auto counts = final_state(r, "swell_counts").scene.table;
  ASSERT_EQ(counts.rows.size(), 6u);
  // s_1 = 1, s_n = 2 s_{n-1} + 5: 1, 7, 19, 43, 91, 187; the graph: 1, 6, 11, ...
  const int tree[] = {1, 7, 19, 43, 91, 187};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(counts.rows[i][1], std::to_string(tree[i]));
    EXPECT_EQ(counts.rows[i][4], std::to_string(1 + 5 * i));
    EXPECT_GT(std::stoll(counts.rows[i][2]), std::stoll(counts.rows[i][3]) - (i == 0 ? 1 : 0));
  }
  EXPECT_THROW(gb::lessons::run("02-derivatives", {{"swell_n", "0"}}), gb::Error);
}

TEST(Lesson03, TangentTraceOfTheGoldenExample) {
  const auto r = gb::lessons::run("03-forward-mode");
  const auto trace = final_state(r, "trace").scene.table;
  ASSERT_EQ(trace.rows.size(), 7u);  // v-1 .. v5
  const char* names[] = {"v-1", "v0", "v1", "v2", "v3", "v4", "v5"};
  const double values[] = {2, 5, std::log(2.0), 10, std::log(2.0) + 10, std::sin(5.0), std::log(2.0) + 10 - std::sin(5.0)};
  const double tangents[] = {1, 0, 0.5, 5, 5.5, 0, 5.5};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(trace.rows[i][0], names[i]);
    EXPECT_NEAR(number(trace.rows[i][2]), values[i], 1e-5 * std::max(1.0, std::fabs(values[i]))) << names[i];  // 6 digits
    EXPECT_NEAR(number(trace.rows[i][3]), tangents[i], 1e-12) << names[i];
  }
  EXPECT_EQ(trace.rows[2][1], "log(v-1)");
  EXPECT_EQ(trace.rows[3][1], "v-1 * v0");
  const auto jacobian = final_state(r, "jacobian").scene.table;
  ASSERT_EQ(jacobian.rows.size(), 2u);  // one forward pass per input
  EXPECT_NEAR(number(jacobian.rows[1][2]), 2 - std::cos(5.0), 1e-5);
}

TEST(Lesson03, EveryNodeOfTheGraphGetsAValue) {
  const auto r = gb::lessons::run("03-forward-mode", {{"x1", "1.5"}, {"x2", "-2"}});
  const auto graph = final_state(r, "graph").scene.graph;
  EXPECT_EQ(graph.nodes.size(), 7u);
  for (const auto& node : graph.nodes) EXPECT_FALSE(node.value.empty()) << node.id;
  EXPECT_THROW(gb::lessons::run("03-forward-mode", {{"x1", "-1"}}), gb::Error);  // ln of a negative
}

TEST(Lesson04, AdjointsBottomUpWithTheTapeCursorMovingUp) {
  const auto r = gb::lessons::run("04-reverse-mode");
  const auto adjoint = final_state(r, "adjoint").scene.table;
  ASSERT_EQ(adjoint.rows.size(), 7u);
  EXPECT_EQ(adjoint.rows.front()[0], "v5bar");  // the seed comes first
  EXPECT_EQ(adjoint.rows.back()[0], "v-1bar");
  EXPECT_EQ(number(adjoint.rows.back()[2]), 5.5);
  EXPECT_NEAR(number(adjoint.rows[5][2]), 2 - std::cos(5.0), 1e-5);  // v0bar
  EXPECT_NE(adjoint.rows.back()[1].find("v1bar * 0.5 + v2bar * 5"), std::string::npos) << adjoint.rows.back()[1];
  // The cursor moves from the last line of the tape to the first.
  std::vector<std::int64_t> cursor;
  for (const auto& step : r.steps)
    for (const auto& change : step.changes)
      if (change.scene == "tape" && change.kind == gb::trace::ChangeKind::set_cursor) cursor.push_back(change.line);
  EXPECT_EQ(cursor, (std::vector<std::int64_t>{7, 6, 5, 4, 3, 2, 1}));
  for (const auto& node : final_state(r, "graph").scene.graph.nodes) EXPECT_FALSE(node.gradient.empty()) << node.id;
}

TEST(Lesson04, AccumulationAtANodeUsedTwiceGives4) {
  const auto r = gb::lessons::run("04-reverse-mode");
  const auto adjoint = final_state(r, "twice_adjoint").scene.table;
  const auto& x_row = adjoint.rows.back();  // x is the first node, so its adjoint comes last
  EXPECT_EQ(x_row[0], "v0bar");
  EXPECT_EQ(number(x_row[2]), 4);
  // Two uses of x (x + 1 and 2 * x): two path products.
  EXPECT_NE(x_row[1].find(" + "), std::string::npos) << x_row[1];
}

TEST(Lesson04, HessianByForwardOverReverse) {
  const auto r = gb::lessons::run("04-reverse-mode");
  const auto h = final_state(r, "hessian").scene.table;
  ASSERT_EQ(h.rows.size(), 2u);
  EXPECT_EQ(number(h.rows[0][1]), -0.25);
  EXPECT_EQ(number(h.rows[0][2]), 1);
  EXPECT_NEAR(number(h.rows[1][2]), std::sin(5.0), 1e-5);
  EXPECT_THROW(gb::lessons::run("04-reverse-mode", {{"logistic_n", "99"}}), gb::Error);
}

}  // namespace
