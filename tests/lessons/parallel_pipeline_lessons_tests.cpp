// parallel_pipeline_lessons_tests.cpp: lesson 14-pipeline-parallel, checked on what its recording
// holds, independently of the scenario's own checks: the bubble summed again from the idle spans
// drawn against the published formulas (typed here), every micro-batch's F and B on every lane, the
// 1F1B memory counters against min(p - r, m) micro-batches, and the comparison table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;

const Recording& pipeline() {
  static const Recording r = gb::lessons::run("14-pipeline-parallel");  // p = 4, m = 8, v = 2, tf = 1, tb = 2
  return r;
}

Scene final_scene(const Recording& r, const std::string& id) {
  const auto state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("parallel_pipeline_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

double makespan(const Scene& timeline) {
  double end = 0;
  for (const auto& span : timeline.timeline.spans) end = std::max(end, span.start + span.duration);
  return end;
}

// Idle time over all device time, from the drawn "idle" spans.
double drawn_bubble(const Scene& timeline) {
  double idle = 0;
  for (const auto& span : timeline.timeline.spans)
    if (span.category == "idle") idle += span.duration;
  return idle / (static_cast<double>(timeline.timeline.lanes.size()) * makespan(timeline));
}

}  // namespace

TEST(Lesson14, TheDrawnBubblesAreThePublishedFormulas) {
  const double p = 4, m = 8, v = 2;
  EXPECT_NEAR(drawn_bubble(final_scene(pipeline(), "naive")), (p - 1) / p, 1e-9);
  EXPECT_NEAR(drawn_bubble(final_scene(pipeline(), "gpipe")), (p - 1) / (m + p - 1), 1e-9);
  EXPECT_NEAR(drawn_bubble(final_scene(pipeline(), "1f1b")), (p - 1) / (m + p - 1), 1e-9);
  EXPECT_NEAR(drawn_bubble(final_scene(pipeline(), "interleaved")), (p - 1) / (v * m + p - 1), 1e-9);
  EXPECT_NEAR(makespan(final_scene(pipeline(), "gpipe")), (m + p - 1) * (1 + 2), 1e-9);
  EXPECT_NEAR(makespan(final_scene(pipeline(), "gpipe_recompute")), (m + p - 1) * (1 + 1 + 2), 1e-9);
}

TEST(Lesson14, EveryLaneRunsEveryMicroBatchForwardAndBackward) {
  for (const std::string id : {"naive", "gpipe", "gpipe_recompute", "1f1b", "interleaved"}) {
    const Scene s = final_scene(pipeline(), id);
    ASSERT_EQ(s.timeline.lanes.size(), 4u) << id;
    const int per_phase = id == "interleaved" ? 8 * 2 : 8;
    for (const auto& lane : s.timeline.lanes) {
      std::map<std::string, int> count;
      for (const auto& span : s.timeline.spans)
        if (span.lane == lane.id) ++count[span.category];
      EXPECT_EQ(count["forward"], per_phase) << id << " " << lane.id;
      EXPECT_EQ(count["backward"], per_phase) << id << " " << lane.id;
    }
    // No two spans of one lane overlap: a device runs one operation at a time.
    for (const auto& lane : s.timeline.lanes) {
      std::vector<std::pair<double, double>> busy;
      for (const auto& span : s.timeline.spans)
        if (span.lane == lane.id) busy.emplace_back(span.start, span.start + span.duration);
      std::sort(busy.begin(), busy.end());
      for (std::size_t i = 1; i < busy.size(); ++i) EXPECT_LE(busy[i - 1].second, busy[i].first + 1e-12) << id << " " << lane.id;
    }
  }
}

TEST(Lesson14, OneFOneBMemoryCountersPeakAtPMinusRMicroBatches) {
  const double per_microbatch = 64;  // MiB: PipelineSpec's default activation_bytes
  for (const std::string id : {"1f1b", "gpipe"}) {
    const Scene s = final_scene(pipeline(), id);
    for (int r = 0; r < 4; ++r) {
      double peak = 0;
      for (const auto& c : s.timeline.counters)
        if (c.counter == "stage " + std::to_string(r) + " activations (MiB)") peak = std::max(peak, c.value);
      EXPECT_DOUBLE_EQ(peak, (id == "1f1b" ? std::min(4 - r, 8) : 8) * per_microbatch) << id << " stage " << r;
    }
  }
}

TEST(Lesson14, TheTableComparesTheFiveRuns) {
  const Scene t = final_scene(pipeline(), "schedules");
  ASSERT_EQ(t.table.rows.size(), 5u);
  EXPECT_EQ(t.table.rows[0][0], "naive");
  EXPECT_EQ(t.table.rows[3][0], "1F1B");
  EXPECT_EQ(t.table.rows[1][4], "8 8 8 8");   // GPipe holds all m
  EXPECT_EQ(t.table.rows[3][4], "4 3 2 1");   // 1F1B: min(p - r, m)
  EXPECT_EQ(t.table.rows[3][2], t.table.rows[3][3]) << "1F1B bubble measured == formula";
  EXPECT_EQ(std::stod(t.table.rows[1][1]), 33.0);  // GPipe: (m + p - 1)(tf + tb)
}

TEST(Lesson14, ParametersChangeTheRunAndBadOnesAreErrors) {
  const Recording r = gb::lessons::run("14-pipeline-parallel", {{"stages", "2"}, {"microbatches", "6"}, {"chunks", "3"}});
  EXPECT_NEAR(drawn_bubble(final_scene(r, "1f1b")), 1.0 / 7.0, 1e-9);
  EXPECT_NEAR(drawn_bubble(final_scene(r, "interleaved")), 1.0 / 19.0, 1e-9);
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"stages", "1"}, {"microbatches", "6"}, {"chunks", "1"}, {"fwd_time", "0"}, {"bwd_time", "-2"}}) {
    try {
      gb::lessons::run("14-pipeline-parallel", {{name, value}});
      ADD_FAILURE() << name << " = " << value << " was accepted";
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}
