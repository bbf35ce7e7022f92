// parallel_auto_lessons_tests.cpp: lesson 15-hybrid-and-auto-parallel, checked on what its recording
// holds: the mesh against Megatron-LM's order (device = tp + tp (dp + dp pp), typed here), the final
// layout grid against MindSpore's rule worked by hand, the drawn messages' makespan and the cost table
// against the ring formulas (Thakur et al. 2005), and the search's outcomes (Megatron's column-row
// pattern, data parallelism for the small model, the limit respected, the brute-force optimum).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;

const Recording& lesson() {
  static const Recording r = gb::lessons::run("15-hybrid-and-auto-parallel");  // dp 2, tp 4, pp 2; 8 x 8; batch 2048, hidden 4096
  return r;
}

Scene final_scene(const std::string& id) {
  const auto state = gb::trace::replay(lesson(), static_cast<std::int64_t>(lesson().steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("parallel_auto_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

const std::vector<std::string>& row_named(const Scene& table, const std::string& first) {
  for (const auto& row : table.table.rows)
    if (row.at(0) == first) return row;
  throw gb::Error("parallel_auto_lessons_tests", "a row " + first, "none");
}

}  // namespace

TEST(Lesson15, TheMeshFollowsMegatronsOrder) {
  const Scene ids = final_scene("mesh"), tp = final_scene("mesh_tp"), dp = final_scene("mesh_dp"), pp = final_scene("mesh_pp");
  ASSERT_EQ(ids.tensor.rows, 4);  // (pp, dp) rows
  ASSERT_EQ(ids.tensor.cols, 4);  // tp columns
  for (int pp_stage = 0; pp_stage < 2; ++pp_stage)
    for (int dp_rank = 0; dp_rank < 2; ++dp_rank)
      for (int tp_rank = 0; tp_rank < 4; ++tp_rank) {
        const auto cell = static_cast<std::size_t>((pp_stage * 2 + dp_rank) * 4 + tp_rank);
        EXPECT_EQ(ids.tensor.values[cell], tp_rank + 4 * (dp_rank + 2 * pp_stage));
        // Same group number <=> same coordinates on the other two axes.
        EXPECT_EQ(tp.tensor.values[cell], pp_stage * 2 + dp_rank);
        EXPECT_EQ(dp.tensor.values[cell], pp_stage * 4 + tp_rank);
        EXPECT_EQ(pp.tensor.values[cell], dp_rank * 4 + tp_rank);
      }
}

TEST(Lesson15, TheRedistributedGridIsTheTargetLayout) {
  // [2, 4] map [0, 1] of [8, 8]: dim 0 in 4 blocks of 2 by axis 0 (the 4), dim 1 in 2 blocks of 4 by
  // axis 1 (the 2): element (i, j) lives on device (j / 4, i / 2) = 4 (j / 4) + i / 2.
  const Scene after = final_scene("layout_after");
  ASSERT_EQ(after.tensor.values.size(), 64u);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) EXPECT_EQ(after.tensor.values[static_cast<std::size_t>(i * 8 + j)], 4 * (j / 4) + i / 2) << i << " " << j;
}

TEST(Lesson15, TheDrawnMessagesTakeTheRingFormulasTime) {
  // All-gather in groups of 4 of 4 x 2 f32 chunks (32 B): 3 rounds; all-to-all in pairs of 8 x 4 / 2
  // halves (64 B): 1 round. alpha = 2 us, beta = 1 / 200 GB/s.
  const double alpha = 2e-6, beta = 1 / 200e9;
  const double expected_us = (3 * (alpha + beta * 32) + (alpha + beta * 64)) * 1e6;
  const Scene messages = final_scene("messages");
  double end = 0;
  for (const auto& span : messages.timeline.spans) end = std::max(end, span.start + span.duration);
  EXPECT_NEAR(end, expected_us, 1e-9);
  EXPECT_EQ(messages.timeline.spans.size(), 2u * 4 * 3 + 4 * 2);
}

TEST(Lesson15, EachCollectiveCostsItsRingFormula) {
  const Scene costs = final_scene("costs");
  ASSERT_EQ(costs.table.rows.size(), 5u);
  const double S = 4096.0 * 4096 * 4, n = 8;
  const double sent[] = {(n - 1) / n * S, 2 * (n - 1) / n * S, (n - 1) / n * S, (n - 1) / n / n * S, 0};
  for (std::size_t r = 0; r < costs.table.rows.size(); ++r) {
    const auto& row = costs.table.rows[r];
    EXPECT_EQ(row[3], row[4]) << row[2];  // measured == formula, to the 4 digits shown
    EXPECT_EQ(std::stod(row[5]), sent[r]) << row[2];
  }
  EXPECT_EQ(costs.table.rows[0][2], "all-gather");
  EXPECT_EQ(costs.table.rows[1][2], "all-reduce");
  EXPECT_EQ(costs.table.rows[2][2], "reduce-scatter");
  EXPECT_EQ(costs.table.rows[3][2], "all-to-all");
  EXPECT_EQ(costs.table.rows[4][2], "split");
}

TEST(Lesson15, TheSearchFindsMegatronAndRespectsTheLimit) {
  const Scene outcomes = final_scene("outcomes");
  EXPECT_EQ(row_named(outcomes, "Two MLP blocks")[1], "column, row, column, row");
  EXPECT_EQ(row_named(outcomes, "A small model with a big batch")[1], "data parallel, data parallel, data parallel");
  const auto& tight = row_named(outcomes, "Wide layers, 3/4 of that memory");
  EXPECT_LE(std::stod(tight[3]), std::stod(tight[4]));
  EXPECT_TRUE(tight[1].find("row") != std::string::npos || tight[1].find("column") != std::string::npos) << tight[1];  // sharded weights
  for (const auto& row : outcomes.table.rows) EXPECT_EQ(row[2], row[5]) << row[0];  // dynamic program == brute force
  // In the search table, the row layer after a column layer needs no redistribution (Megatron's pair).
  const Scene search = final_scene("search");
  int column_then_row = 0;
  for (const auto& row : search.table.rows)
    if (row[0] != "all" && row[1] == "row" && row[7] == "column") {
      EXPECT_EQ(row[5], "0");
      ++column_then_row;
    }
  EXPECT_GE(column_then_row, 1);
}

TEST(Lesson15, StepsNameSectionsOfTheText) {
  for (const auto& step : lesson().steps) {
    EXPECT_FALSE(step.section.empty());
    EXPECT_EQ(step.caption.back(), '.') << step.caption;
  }
}
