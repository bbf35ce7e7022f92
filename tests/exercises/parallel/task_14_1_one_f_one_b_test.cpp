// Exercise parallel.pipeline.one_f_one_b (lesson 14): the 1F1B (PipeDream-Flush) order of one stage,
// lib/parallel/src/pipeline_schedule.cpp, one_f_one_b_order(stage, stages, microbatches).
//   make exercise TASK=parallel.pipeline.one_f_one_b
// Stage r of p warms up with min(p - r - 1, m) forwards, then alternates one forward and one backward,
// then drains the remaining backwards. Run on the simulator, the order must give the bubble
// (p - 1) / (m + p - 1) and keep at most min(p - r, m) micro-batches' activations on stage r.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gb/parallel/pipeline.hpp"

namespace {

using gb::parallel::Operation;
using gb::parallel::Phase;
namespace pp = gb::parallel;

std::string names(const std::vector<Operation>& order) {
  std::string out;
  for (const Operation& op : order) out += (out.empty() ? "" : " ") + pp::operation_name(op);
  return out;
}

}  // namespace

TEST(Task_14_1_OneFOneB, TheOrderOfEachStage) {
  // p = 3, m = 4: stage 0 warms up with 2 forwards, stage 1 with 1, the last stage with none.
  EXPECT_EQ(names(pp::one_f_one_b_order(0, 3, 4)), "F0 F1 F2 B0 F3 B1 B2 B3");
  EXPECT_EQ(names(pp::one_f_one_b_order(1, 3, 4)), "F0 F1 B0 F2 B1 F3 B2 B3");
  EXPECT_EQ(names(pp::one_f_one_b_order(2, 3, 4)), "F0 B0 F1 B1 F2 B2 F3 B3");
  EXPECT_EQ(names(pp::one_f_one_b_order(0, 1, 2)), "F0 B0 F1 B1");  // one stage: no pipeline, no warm-up
}

TEST(Task_14_1_OneFOneB, WarmUpIsPMinusRMinusOneCappedAtM) {
  for (int p : {1, 2, 4, 7})
    for (int m : {1, 2, 3, 8, 16})
      for (int r = 0; r < p; ++r) {
        const auto order = pp::one_f_one_b_order(r, p, m);
        ASSERT_FALSE(order.empty());
        const auto first_backward = std::find_if(order.begin(), order.end(), [](const Operation& op) { return op.phase == Phase::backward; });
        // Warm-up forwards, then the one forward that the first backward answers (unless m ran out).
        const int before = static_cast<int>(first_backward - order.begin());
        const int warmup = std::min(p - r - 1, m);
        EXPECT_EQ(before, warmup < m ? warmup + 1 : m) << "p=" << p << " m=" << m << " stage " << r;
      }
}

TEST(Task_14_1_OneFOneB, EachMicroBatchOnceForwardOnceBackwardInOrder) {
  for (int p : {1, 3, 4})
    for (int m : {1, 2, 5, 9})
      for (int r = 0; r < p; ++r) {
        const auto order = pp::one_f_one_b_order(r, p, m);
        ASSERT_EQ(order.size(), static_cast<std::size_t>(2 * m)) << "p=" << p << " m=" << m << " stage " << r;
        int next_forward = 0, next_backward = 0, in_flight = 0, peak = 0;
        for (const Operation& op : order) {
          EXPECT_EQ(op.chunk, 0);
          if (op.phase == Phase::forward) {
            EXPECT_EQ(op.microbatch, next_forward++);
            peak = std::max(peak, ++in_flight);
          } else {
            EXPECT_EQ(op.microbatch, next_backward++);  // micro-batches retire first in, first out
            EXPECT_LT(op.microbatch, next_forward);
            --in_flight;
          }
        }
        EXPECT_EQ(next_forward, m);
        EXPECT_EQ(next_backward, m);
        EXPECT_EQ(peak, std::min(p - r, m)) << "p=" << p << " m=" << m << " stage " << r;
      }
}

TEST(Task_14_1_OneFOneB, SteadyStateAlternates) {
  const auto order = pp::one_f_one_b_order(1, 4, 10);  // warm-up 2, then F B F B ..., then 2 backwards
  for (std::size_t n = 2; n + 2 < order.size(); ++n)
    EXPECT_EQ(order[n].phase, n % 2 == 0 ? Phase::forward : Phase::backward) << "operation " << n;
}

TEST(Task_14_1_OneFOneB, TheExecutionHasTheGPipeBubbleAndLessMemory) {
  for (auto [p, m] : std::vector<std::pair<int, int>>{{4, 16}, {4, 8}, {3, 2}, {5, 5}}) {
    pp::PipelineSpec spec;
    spec.schedule = pp::Schedule::one_f_one_b;
    spec.stages = p;
    spec.microbatches = m;
    const pp::PipelineRun run = pp::run_pipeline(spec);
    EXPECT_NEAR(run.bubble, (p - 1.0) / (m + p - 1.0), 1e-12) << "p=" << p << " m=" << m;
    for (int r = 0; r < p; ++r)
      EXPECT_EQ(run.peak_activation_bytes[static_cast<std::size_t>(r)], std::min(p - r, m) * spec.activation_bytes) << "stage " << r;
  }
}
