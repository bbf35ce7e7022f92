// passes_lessons_tests.cpp: lesson 17 (graph optimisation), checked on what its recording holds after the
// last step, independently of the scenario's own checks.
#include <gtest/gtest.h>

#include <cmath>
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

TEST(Lesson17, ThePassLogNamesEveryRuleThatMustFire) {
  const auto r = gb::lessons::run("17-graph-optimization");
  const auto log = final_scene(r, "pass-log").table;
  auto count = [&](const std::string& rule) {
    int n = 0;
    for (const auto& row : log.rows) n += row.at(1) == rule ? 1 : 0;
    return n;
  };
  EXPECT_EQ(count("dropout_removal"), 1);
  EXPECT_EQ(count("identity_removal"), 1);
  EXPECT_EQ(count("constant_folding"), 2);  // 5 * 10, then 1 / 50
  EXPECT_EQ(count("transpose_inverse_pair"), 1);
  EXPECT_EQ(count("common_subexpression"), 1);
  EXPECT_EQ(count("conv_bn_fold"), 2);
  EXPECT_EQ(count("conv_add_residual"), 1);
  EXPECT_EQ(count("conv_relu"), 2);
  EXPECT_EQ(count("matmul_add_gemm"), 1);
  EXPECT_EQ(count("nc4hw4_region"), 1);
  // Every pass has a before and an after graph; the after graph of the last basic pass has fewer nodes.
  EXPECT_NE(r.find_scene("pass-0-before"), nullptr);
  EXPECT_NE(r.find_scene("pass-11-after"), nullptr);
}

TEST(Lesson17, TheBnFoldTableFollowsTheFormula) {
  const auto r = gb::lessons::run("17-graph-optimization", {{"channels", "5"}, {"seed", "4"}});
  const auto table = final_scene(r, "bn-fold").table;
  ASSERT_EQ(table.rows.size(), 5u);
  for (const auto& row : table.rows) {
    const double gamma = std::stod(row[1]), beta = std::stod(row[2]), mean = std::stod(row[3]), var = std::stod(row[4]);
    const double a = gamma / std::sqrt(var + 1e-5);
    EXPECT_NEAR(std::stod(row[5]), a, 1e-5 * std::fabs(a));
    EXPECT_NEAR(std::stod(row[7]), a * std::stod(row[6]), 1e-5 + 1e-4 * std::fabs(a * std::stod(row[6])));
    const double b = a * (std::stod(row[8]) - mean) + beta;
    EXPECT_NEAR(std::stod(row[9]), b, 1e-5 + 1e-4 * std::fabs(b));
  }
}

TEST(Lesson17, TheMemoryTimelineNeverPutsTwoLiveValuesOnOneLaneAtOnce) {
  const auto r = gb::lessons::run("17-graph-optimization");
  const auto plans = final_scene(r, "memory-plan").table;
  ASSERT_EQ(plans.rows.size(), 3u);
  for (const auto& row : plans.rows) {
    EXPECT_GE(std::stoll(row[4]), std::stoll(row[3])) << row[0];  // arena >= peak live
    EXPECT_LE(std::stoll(row[4]), std::stoll(row[2])) << row[0];  // arena <= one buffer each
  }
  EXPECT_LT(std::stoll(plans.rows[1][4]), std::stoll(plans.rows[0][4]));  // sharing saves memory
  const auto timeline = final_scene(r, "memory").timeline;
  ASSERT_FALSE(timeline.spans.empty());
  for (std::size_t i = 0; i < timeline.spans.size(); ++i) {
    for (std::size_t j = i + 1; j < timeline.spans.size(); ++j) {
      const auto& a = timeline.spans[i];
      const auto& b = timeline.spans[j];
      if (a.lane != b.lane) continue;
      // Spans on one lane share bytes: they may touch (in place: the writer's first step is the reader's
      // last) but never overlap by more than that one step.
      const double overlap = std::min(a.start + a.duration, b.start + b.duration) - std::max(a.start, b.start);
      EXPECT_LE(overlap, 1.0) << a.name << " and " << b.name;
    }
  }
}

}  // namespace
