// parallel_tensor_lessons_tests.cpp: lesson 13-tensor-parallel, checked on what its recording holds,
// independently of the scenario's own checks: each rank's marked shard, the f and g all-reduces on
// every lane of the timelines, and the cost table's compute (1/t) and communication (inside vs across
// nodes).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;

const Recording& lesson() {
  static const Recording r = gb::lessons::run("13-tensor-parallel");  // tp = 4, batch 2, seq 4, hidden 8, heads 4
  return r;
}

Scene final_scene(const Recording& r, const std::string& id) {
  const auto state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("parallel_tensor_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

TEST(Lesson13, EachRankMarksOneTOfTheWeightInItsSlice) {
  for (const std::string id : {"weight_a", "weight_b"}) {
    std::vector<std::set<std::int64_t>> marked;
    for (const auto& step : lesson().steps)
      for (const auto& c : step.changes)
        if (c.scene == id) marked.emplace_back(c.cells.begin(), c.cells.end());
    ASSERT_EQ(marked.size(), 4u) << id;
    std::set<std::int64_t> all;
    for (const auto& m : marked) {
      EXPECT_EQ(m.size(), 8u * 32u / 4u) << id;
      all.insert(m.begin(), m.end());
    }
    EXPECT_EQ(all.size(), 8u * 32u) << id << ": the slices cover the weight without overlap";
  }
  // A [8, 32] split by columns: rank 0's cells are columns 0..7 of every row.
  for (const auto& step : lesson().steps)
    for (const auto& c : step.changes)
      if (c.scene == "weight_a") {
        for (std::int64_t cell : c.cells) EXPECT_LT(cell % 32, 8);
        return;
      }
}

TEST(Lesson13, EveryLaneRunsGForwardAndFBackward) {
  for (const std::string id : {"mlp_timeline", "attention_timeline"}) {
    const Scene s = final_scene(lesson(), id);
    ASSERT_EQ(s.timeline.lanes.size(), 4u);
    for (const auto& lane : s.timeline.lanes) {
      std::map<std::string, int> names;
      for (const auto& span : s.timeline.spans)
        if (span.lane == lane.id && span.category == "communication") ++names[span.name.substr(0, 2)];
      // A ring of 4 sends 2 (4 - 1) = 6 messages per rank in each all-reduce.
      EXPECT_EQ(names["g:"], 6) << id << " " << lane.id;
      EXPECT_EQ(names["f:"], 6) << id << " " << lane.id;
    }
  }
}

TEST(Lesson13, TheCostTableHalvesComputeAndCrossNodeLinksCostMore) {
  const Scene t = final_scene(lesson(), "cost");
  ASSERT_EQ(t.table.rows.size(), 7u);  // t = 1, then 2, 4, 8 inside and across nodes
  const double one = std::stod(t.table.rows[0][2]);
  for (std::size_t i = 1; i < t.table.rows.size(); ++i) {
    const double ranks = std::stod(t.table.rows[i][0]);
    EXPECT_NEAR(std::stod(t.table.rows[i][2]) * ranks / one, 1.0, 0.01) << "row " << i;
  }
  for (std::size_t i = 1; i + 1 < t.table.rows.size(); i += 2) {
    EXPECT_EQ(t.table.rows[i][1], "NVLink");
    EXPECT_EQ(t.table.rows[i + 1][1], "inter-node");
    EXPECT_GT(std::stod(t.table.rows[i + 1][3]), 4 * std::stod(t.table.rows[i][3])) << "t = " << t.table.rows[i][0];
    EXPECT_EQ(t.table.rows[i][5], t.table.rows[i + 1][5]) << "the same bytes either way";
  }
  EXPECT_EQ(std::stod(t.table.rows[0][3]), 0.0);  // one rank: nothing to send
}

TEST(Lesson13, ParametersChangeTheRunAndBadOnesAreErrors) {
  const Recording r = gb::lessons::run("13-tensor-parallel", {{"tp", "2"}, {"heads", "2"}});
  EXPECT_EQ(final_scene(r, "mlp_timeline").timeline.lanes.size(), 2u);
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"tp", "0"}, {"tp", "3"}, {"heads", "3"}, {"hidden", "6"}, {"batch", "0"}, {"seq", "99"}}) {
    try {
      gb::lessons::run("13-tensor-parallel", {{name, value}});
      ADD_FAILURE() << name << " = " << value << " was accepted";
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find("lesson 13 parameter"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
