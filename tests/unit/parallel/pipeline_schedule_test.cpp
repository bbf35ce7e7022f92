// pipeline_schedule_test.cpp: the operation orders of the pipeline schedules (lesson 14), checked
// against their definitions: GPipe's all-forwards-then-backwards, PipeDream-Flush's warm-up count, and
// Megatron's interleaved order (written out by hand for p = 2, m = 4, v = 2 from the rules of
// Megatron-LM's schedules.py: virtual micro-batch ids, chunk order, warm-up count).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/pipeline.hpp"

namespace {

using gb::parallel::Operation;
using gb::parallel::Phase;
using gb::parallel::Schedule;
namespace pp = gb::parallel;

std::string names(const std::vector<Operation>& order, int chunks = 1) {
  std::string out;
  for (const Operation& op : order) out += (out.empty() ? "" : " ") + pp::operation_name(op, chunks);
  return out;
}

// Each (micro-batch, chunk) exactly once forward and once backward, its forward first.
void expect_complete(const std::vector<Operation>& order, int microbatches, int chunks) {
  std::map<std::pair<int, int>, int> forward_at, backward_at;
  for (std::size_t n = 0; n < order.size(); ++n) {
    auto& seen = order[n].phase == Phase::forward ? forward_at : backward_at;
    EXPECT_TRUE(seen.emplace(std::make_pair(order[n].microbatch, order[n].chunk), static_cast<int>(n)).second)
        << pp::operation_name(order[n], chunks) << " twice";
  }
  ASSERT_EQ(forward_at.size(), static_cast<std::size_t>(microbatches * chunks));
  ASSERT_EQ(backward_at.size(), static_cast<std::size_t>(microbatches * chunks));
  for (const auto& [key, at] : backward_at) EXPECT_LT(forward_at.at(key), at);
}

}  // namespace

TEST(PipelineSchedule, NaiveRunsOneMicroBatchAtATime) {
  EXPECT_EQ(names(pp::naive_order(1, 3, 3)), "F0 B0 F1 B1 F2 B2");
}

TEST(PipelineSchedule, GPipeRunsAllForwardsThenBackwardsInReverse) {
  EXPECT_EQ(names(pp::gpipe_order(0, 4, 4)), "F0 F1 F2 F3 B3 B2 B1 B0");
  EXPECT_EQ(names(pp::gpipe_order(3, 4, 1)), "F0 B0");
}

TEST(PipelineSchedule, OneFOneBWarmsUpThenAlternates) {
  // PipeDream-Flush with p = 4, m = 6: stage r warms up with p - r - 1 forwards.
  EXPECT_EQ(names(pp::one_f_one_b_order(0, 4, 6)), "F0 F1 F2 F3 B0 F4 B1 F5 B2 B3 B4 B5");
  EXPECT_EQ(names(pp::one_f_one_b_order(2, 4, 6)), "F0 F1 B0 F2 B1 F3 B2 F4 B3 F5 B4 B5");
  EXPECT_EQ(names(pp::one_f_one_b_order(3, 4, 6)), "F0 B0 F1 B1 F2 B2 F3 B3 F4 B4 F5 B5");
  // Fewer micro-batches than the warm-up wants: all forwards, then all backwards in order.
  EXPECT_EQ(names(pp::one_f_one_b_order(0, 4, 2)), "F0 F1 B0 B1");
}

TEST(PipelineSchedule, InterleavedFollowsMegatron) {
  // p = 2, v = 2, m = 4: groups of p = 2 micro-batches go through chunk 0 then chunk 1; backwards take
  // chunk 1 first. Stage 0 warms up 2 (p - 1) + (v - 1) p = 4, stage 1 warms up 2.
  EXPECT_EQ(names(pp::interleaved_order(0, 2, 4, 2), 2), "F0.0 F1.0 F0.1 F1.1 F2.0 B0.1 F3.0 B1.1 F2.1 B0.0 F3.1 B1.0 B2.1 B3.1 B2.0 B3.0");
  EXPECT_EQ(names(pp::interleaved_order(1, 2, 4, 2), 2), "F0.0 F1.0 F0.1 B0.1 F1.1 B1.1 F2.0 B0.0 F3.0 B1.0 F2.1 B2.1 F3.1 B3.1 B2.0 B3.0");
  for (int r = 0; r < 4; ++r) expect_complete(pp::interleaved_order(r, 4, 8, 3), 8, 3);
}

TEST(PipelineSchedule, EveryScheduleRunsEachOperationOnce) {
  for (int p : {1, 2, 4, 5})
    for (int m : {1, 3, 8}) {
      for (Schedule s : {Schedule::naive, Schedule::gpipe, Schedule::one_f_one_b}) {
        const auto orders = pp::schedule_orders(s, p, m);
        ASSERT_EQ(orders.size(), static_cast<std::size_t>(p));
        for (const auto& order : orders) expect_complete(order, m, 1);
      }
    }
}

TEST(PipelineSchedule, NamesRoundTrip) {
  for (Schedule s : {Schedule::naive, Schedule::gpipe, Schedule::one_f_one_b, Schedule::interleaved})
    EXPECT_EQ(pp::schedule_from_name(pp::schedule_name(s)), s);
  EXPECT_THROW(pp::schedule_from_name("zigzag"), gb::Error);
}

TEST(PipelineSchedule, BadShapesAreErrors) {
  EXPECT_THROW(pp::gpipe_order(0, 0, 4), gb::Error);
  EXPECT_THROW(pp::gpipe_order(0, 4, 0), gb::Error);
  EXPECT_THROW(pp::naive_order(4, 4, 2), gb::Error);
  EXPECT_THROW(pp::warmup_forwards(-1, 4, 2), gb::Error);
  EXPECT_THROW(pp::schedule_orders(Schedule::gpipe, 4, 8, 2), gb::Error);  // chunks only interleave
  EXPECT_THROW(pp::interleaved_order(0, 4, 6, 2), gb::Error);            // m not a multiple of p
  EXPECT_THROW(pp::interleaved_order(0, 4, 8, 1), gb::Error);            // one chunk: that is 1F1B
  try {
    pp::interleaved_order(0, 4, 6, 2);
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of the 4 stages"), std::string::npos) << e.what();
  }
}
