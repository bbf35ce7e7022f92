// pipeline_run_test.cpp: the pipeline schedules executed on the simulator (lesson 14). Every number
// is measured from the simulated execution and compared with a published formula: the bubble
// (p-1)/(m+p-1) of GPipe and 1F1B (Huang et al. 2019; Narayanan et al. 2021), (p-1)/(v m + p - 1) of
// interleaved 1F1B (Megatron-LM 2021: bubble time (p-1)(tf+tb)/v), (p-1)/p of naive model parallelism,
// and the activation memory: m micro-batches in flight for GPipe, min(p - r, m) on stage r for 1F1B.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/pipeline.hpp"
#include "pipeline_spec.hpp"

namespace {

using gb::parallel::Phase;
using gb::parallel::PipelineRun;
using gb::parallel::PipelineSpec;
using gb::parallel::Schedule;
namespace pp = gb::parallel;

PipelineRun run(Schedule schedule, int p, int m, int v = 1, bool recompute = false) {
  return pp::run_pipeline(gb_pipeline_test::spec(schedule, p, m, v, recompute));
}

}  // namespace

TEST(PipelineRun, GPipeAndOneFOneBBubbleIsPMinusOneOverMPlusPMinusOne) {
  for (Schedule s : {Schedule::gpipe, Schedule::one_f_one_b})
    for (auto [p, m] : std::vector<std::pair<int, int>>{{4, 16}, {2, 1}, {2, 5}, {3, 4}, {4, 4}, {4, 2}, {8, 8}, {1, 3}}) {
      const PipelineRun r = run(s, p, m);
      const double formula = (p - 1.0) / (m + p - 1.0);
      EXPECT_NEAR(r.bubble, formula, 1e-12) << pp::schedule_name(s) << " p=" << p << " m=" << m;
      // The makespan is the ideal m (tf + tb) plus the bubble time (p - 1)(tf + tb), tf = 1, tb = 2.
      EXPECT_NEAR(r.makespan, (m + p - 1) * 3.0, 1e-12) << pp::schedule_name(s) << " p=" << p << " m=" << m;
    }
  EXPECT_NEAR(run(Schedule::one_f_one_b, 4, 16).bubble, 3.0 / 19.0, 1e-12);  // the course's example
}

TEST(PipelineRun, NaiveBubbleIsPMinusOneOverP) {
  for (int p : {1, 2, 4, 8}) {
    const PipelineRun r = run(Schedule::naive, p, 3);
    EXPECT_NEAR(r.bubble, (p - 1.0) / p, 1e-12) << p;
    for (int peak : r.peak_in_flight) EXPECT_EQ(peak, 1);
  }
}

TEST(PipelineRun, InterleavedBubbleShrinksByTheChunkCount) {
  for (auto [p, m, v] : std::vector<std::tuple<int, int, int>>{{4, 8, 2}, {4, 16, 2}, {2, 4, 2}, {4, 8, 4}, {3, 9, 3}, {4, 4, 2}}) {
    const PipelineRun r = run(Schedule::interleaved, p, m, v);
    EXPECT_NEAR(r.bubble, (p - 1.0) / (v * m + p - 1.0), 1e-12) << "p=" << p << " m=" << m << " v=" << v;
    // Bubble time (p - 1)(tf + tb) / v over the ideal m (tf + tb).
    EXPECT_NEAR(r.makespan, m * 3.0 + (p - 1) * 3.0 / v, 1e-12) << "p=" << p << " m=" << m << " v=" << v;
  }
}

TEST(PipelineRun, GPipeHoldsEveryMicroBatchOneFOneBAtMostPMinusR) {
  for (auto [p, m] : std::vector<std::pair<int, int>>{{4, 16}, {4, 2}, {3, 3}, {5, 8}}) {
    const PipelineRun gpipe = run(Schedule::gpipe, p, m), ofob = run(Schedule::one_f_one_b, p, m);
    const PipelineSpec spec;  // the default bytes of one micro-batch's activations
    for (int r = 0; r < p; ++r) {
      EXPECT_EQ(gpipe.peak_in_flight[static_cast<std::size_t>(r)], m);
      EXPECT_EQ(ofob.peak_in_flight[static_cast<std::size_t>(r)], std::min(p - r, m)) << "stage " << r;
      // The memory peak tells the same story in bytes.
      EXPECT_EQ(gpipe.peak_activation_bytes[static_cast<std::size_t>(r)], m * spec.activation_bytes);
      EXPECT_EQ(ofob.peak_activation_bytes[static_cast<std::size_t>(r)], std::min(p - r, m) * spec.activation_bytes);
    }
  }
}

TEST(PipelineRun, RecomputationTradesTimeForMemory) {
  const int p = 4, m = 8;
  const PipelineRun plain = run(Schedule::gpipe, p, m), recomputed = run(Schedule::gpipe, p, m, 1, true);
  EXPECT_GT(recomputed.makespan, plain.makespan);
  // Every backward re-runs its forward: tb becomes tb + tf, so the makespan (m + p - 1)(2 tf + tb).
  EXPECT_NEAR(recomputed.makespan, (m + p - 1) * 4.0, 1e-12);
  const PipelineSpec spec;
  for (int r = 0; r < p; ++r) {
    EXPECT_LT(recomputed.peak_activation_bytes[static_cast<std::size_t>(r)], plain.peak_activation_bytes[static_cast<std::size_t>(r)]);
    // m stage inputs kept, and the activations of one backward re-created at a time.
    EXPECT_EQ(recomputed.peak_activation_bytes[static_cast<std::size_t>(r)],
              m * spec.boundary_bytes + (spec.activation_bytes - spec.boundary_bytes));
  }
}

TEST(PipelineRun, DependenciesHoldInTheExecution) {
  const PipelineRun r = run(Schedule::one_f_one_b, 4, 6);
  auto find = [&](int stage, Phase phase, int mb) {
    for (const auto& e : r.events)
      if (e.stage == stage && e.op.phase == phase && e.op.microbatch == mb) return e;
    ADD_FAILURE() << "no event";
    return r.events.front();
  };
  for (int i = 0; i < 6; ++i)
    for (int s = 0; s < 4; ++s) {
      if (s > 0) {
        EXPECT_GE(find(s, Phase::forward, i).start, find(s - 1, Phase::forward, i).end);
      }
      if (s < 3) {
        EXPECT_GE(find(s, Phase::backward, i).start, find(s + 1, Phase::backward, i).end);
      }
      EXPECT_GE(find(s, Phase::backward, i).start, find(s, Phase::forward, i).end);
    }
  EXPECT_EQ(r.events.size(), 4u * 6u * 2u);
  EXPECT_EQ(r.messages.size(), 2u * 3u * 6u);  // an activation and a gradient across each of 3 boundaries
}

TEST(PipelineRun, SlowMessagesAndUnevenStagesWidenTheBubble) {
  PipelineSpec spec;
  spec.schedule = Schedule::one_f_one_b;
  spec.stages = 4;
  spec.microbatches = 8;
  const double ideal = pp::run_pipeline(spec).bubble;
  spec.link = {0.25, 0};  // a quarter of a forward per message
  const PipelineRun slow = pp::run_pipeline(spec);
  EXPECT_GT(slow.bubble, ideal);
  for (const auto& msg : slow.messages) EXPECT_NEAR(msg.end - msg.start, 0.25, 1e-12);
  spec.link = {0, 0};
  spec.stage_forward_seconds = {1, 1, 2, 1};  // stage 2 is the bottleneck: everyone waits for it
  spec.stage_backward_seconds = {2, 2, 4, 2};
  const PipelineRun uneven = pp::run_pipeline(spec);
  EXPECT_NEAR(uneven.busy[2], 8 * 6.0, 1e-12);
  EXPECT_GT(uneven.bubble, ideal);
  // No faster than the slow stage's work, after the first forward reaches it (stages 0 and 1) and
  // before the last gradient leaves it (stages 1 and 0).
  EXPECT_GE(uneven.makespan, 8 * 6.0 + (1 + 1) + (2 + 2));
}

TEST(PipelineRun, BadSpecsAreErrors) {
  PipelineSpec spec;
  spec.stages = 0;
  EXPECT_THROW(pp::run_pipeline(spec), gb::Error);
  spec = {};
  spec.forward_seconds = -1;
  EXPECT_THROW(pp::run_pipeline(spec), gb::Error);
  spec = {};
  spec.stage_forward_seconds = {1, 2};  // 4 stages
  EXPECT_THROW(pp::run_pipeline(spec), gb::Error);
  spec = {};
  spec.boundary_bytes = spec.activation_bytes + 1;
  EXPECT_THROW(pp::run_pipeline(spec), gb::Error);
  spec = {};
  spec.forward_seconds = std::nan("");
  EXPECT_THROW(pp::run_pipeline(spec), gb::Error);
  spec = {};
  spec.link = {-1, 0};
  EXPECT_THROW(pp::run_pipeline(spec), gb::Error);
}
