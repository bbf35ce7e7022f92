// tour_tests.cpp: lesson 00-tour's numbers, checked against gb_core and against the normal distribution.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "gb/core.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::SceneKind;

TEST(Tour, UsesEverySceneKind) {
  const auto recording = gb::lessons::run("00-tour");
  std::set<SceneKind> kinds;
  for (const auto& scene : recording.scenes) kinds.insert(scene.kind);
  EXPECT_EQ(kinds.size(), 6u);
}

TEST(Tour, BroadcastAddWritesEveryCellOnceWithASumOfTwoReads) {
  const auto recording = gb::lessons::run("00-tour");
  const auto final_state = gb::trace::replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
  const auto* c = final_state.find("c");
  ASSERT_NE(c, nullptr);
  // c = arange(6).reshape(2, 3) + [10, 20, 30], computed independently here.
  const std::vector<double> expected = {10, 21, 32, 13, 24, 35};
  EXPECT_EQ(c->scene.tensor.values, expected);
  int writes = 0;
  for (const auto& step : recording.steps) {
    for (const auto& change : step.changes) {
      if (change.scene == "c" && change.kind == gb::trace::ChangeKind::write_cells) {
        ++writes;
        EXPECT_EQ(step.changes.size(), 3u) << "each element step reads a and b and writes c";
      }
    }
  }
  EXPECT_EQ(writes, 6);
}

TEST(Tour, GraphEndsWithEveryNodeDone) {
  const auto recording = gb::lessons::run("00-tour");
  const auto state = gb::trace::replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
  const auto* graph = state.find("graph");
  ASSERT_NE(graph, nullptr);
  ASSERT_EQ(graph->scene.graph.nodes.size(), 7u);
  for (const auto& node : graph->scene.graph.nodes) {
    EXPECT_EQ(node.state, gb::trace::NodeState::done) << node.id;
    EXPECT_FALSE(node.value.empty()) << node.id;
  }
}

TEST(Tour, HistogramCountsEverySampleAndFollowsTheNormalCurve) {
  const std::int64_t samples = 20000, bins = 16;
  const auto recording = gb::lessons::run("00-tour", {{"samples", std::to_string(samples)}, {"bins", std::to_string(bins)}});
  const auto state = gb::trace::replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
  const auto& plot = state.find("histogram")->scene.plot;
  const gb::trace::Series* counted = nullptr;
  for (const auto& s : plot.series) if (s.name == "samples") counted = &s;
  ASSERT_NE(counted, nullptr);
  ASSERT_EQ(counted->y.size(), static_cast<std::size_t>(bins));
  ASSERT_EQ(counted->x.size(), static_cast<std::size_t>(bins + 1));
  // Samples beyond +-4 sigma fall outside the bins: P(|z| > 4) = 6.3e-5, so almost none.
  const double total = std::accumulate(counted->y.begin(), counted->y.end(), 0.0);
  EXPECT_GE(total, samples - 10);
  EXPECT_LE(total, samples);
  // Pearson's chi-square against the published normal CDF, bins with >= 5 expected samples:
  // 13 degrees of freedom, the 0.999 quantile is 34.5 (standard tables).
  double chi2 = 0;
  for (std::int64_t i = 0; i < bins; ++i) {
    auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
    double expected = samples * (phi(counted->x[i + 1]) - phi(counted->x[i]));
    if (expected >= 5) chi2 += std::pow(counted->y[i] - expected, 2) / expected;
  }
  EXPECT_LT(chi2, 34.5);
}

TEST(Tour, ReductionTableMatchesCore) {
  const auto recording = gb::lessons::run("00-tour");
  const auto state = gb::trace::replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
  const auto& rows = state.find("reductions")->scene.table.rows;
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[0][0], "sum(m)");
  EXPECT_EQ(rows[0][1], "15");
  EXPECT_EQ(rows[1][1], "[3, 5, 7]");
  EXPECT_EQ(rows[2][1], "[3, 12]");
  EXPECT_EQ(rows[5][1], "[2, 2]");
  EXPECT_EQ(rows[5][3], "i64");
  EXPECT_EQ(rows[6][1], "[5, 14, 14, 50]");
}

TEST(Tour, TimelineHasTwoWorkerSpansAndMatchedFlows) {
  const auto recording = gb::lessons::run("00-tour");
  const auto state = gb::trace::replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
  const auto& timeline = state.find("threads")->scene.timeline;
  EXPECT_EQ(timeline.lanes.size(), 3u);
  EXPECT_EQ(timeline.spans.size(), 4u);
  EXPECT_EQ(timeline.flows.size(), 4u);
  for (const auto& span : timeline.spans) {
    if (span.id == "band0") {
      EXPECT_EQ(span.duration, 4 * 16 * 4);
    }
    if (span.id == "band1") {
      EXPECT_EQ(span.duration, 2 * 16 * 4);
    }
  }
}

TEST(Tour, CodeCursorPointsAtTheCallOfEachPart) {
  const auto recording = gb::lessons::run("00-tour");
  const auto* code = recording.find_scene("code");
  ASSERT_NE(code, nullptr);
  int cursors = 0;
  for (const auto& step : recording.steps) {
    for (const auto& change : step.changes) {
      if (change.kind != gb::trace::ChangeKind::set_cursor) continue;
      ++cursors;
      const auto& line = code->text.lines.at(static_cast<std::size_t>(change.line - code->text.first_line));
      EXPECT_NE(line.find("(rec"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(cursors, 5);
}

TEST(Tour, BadParametersAreClearErrors) {
  EXPECT_THROW(gb::lessons::run("00-tour", {{"bins", "1"}}), gb::Error);
  EXPECT_THROW(gb::lessons::run("00-tour", {{"samples", "-3"}}), gb::Error);
}

}  // namespace
