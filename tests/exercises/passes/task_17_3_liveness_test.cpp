// Task passes.memory.liveness (lesson 17): the live interval [first, last] of every value computed by an op,
// in execution order (lib/passes/src/memory_plan.cpp, compute_liveness). The expected intervals are worked
// out by hand from the graphs below, step by step.
#include <gtest/gtest.h>

#include <map>

#include "gb/convert/onnx_ops.hpp"
#include "gb/passes/memory_plan.hpp"

namespace {

using gb::graph::Graph;
using gb::graph::ValueId;

std::map<ValueId, std::pair<int, int>> intervals(const gb::passes::MemoryPlan& plan) {
  std::map<ValueId, std::pair<int, int>> out;
  for (const auto& i : plan.intervals) out[i.value] = {i.first, i.last};
  return out;
}

TEST(Task_17_3_Liveness, ADiamondLivesUntilItsLastReader) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {gb::DType::f32, {2, 8}});
  const ValueId a = g.add("Relu", {x});      // step 0, read by steps 1 and 2
  const ValueId b = g.add("Sigmoid", {a});   // step 1, read by step 3
  const ValueId c = g.add("Tanh", {a});      // step 2, read by step 3
  const ValueId d = g.add("Mul", {b, c});    // step 3, the output
  g.set_outputs({d});
  const gb::passes::MemoryPlan plan = gb::passes::plan_memory(g, {false, true});
  ASSERT_EQ(plan.order.size(), 4u);
  const auto live = intervals(plan);
  ASSERT_EQ(live.size(), 4u);  // x is the caller's: not planned
  EXPECT_EQ(live.at(a), std::make_pair(0, 2));
  EXPECT_EQ(live.at(b), std::make_pair(1, 3));
  EXPECT_EQ(live.at(c), std::make_pair(2, 3));
  EXPECT_EQ(live.at(d), std::make_pair(3, 3));
  for (const auto& i : plan.intervals) EXPECT_EQ(i.bytes, 2 * 8 * 4) << i.name;
  // At step 2, a, b and c are live at once: the peak is three tensors of 64 bytes.
  EXPECT_EQ(plan.peak_live_bytes, 3 * 64);
}

TEST(Task_17_3_Liveness, GraphOutputsLiveToTheEndAndUnreadValuesOneStep) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {gb::DType::f32, {4}});
  const ValueId r1 = g.add("Relu", {x});                     // step 0; a graph output
  const std::vector<ValueId> dropout = g.add_node("Dropout", {r1});  // step 1: data, mask (never read)
  const ValueId r3 = g.add("Tanh", {dropout[0]});            // step 2
  const ValueId r4 = g.add("Add", {r3, g.constant(gb::Tensor::ones({4}))});  // step 3
  g.set_outputs({r4, r1});
  const auto live = intervals(gb::passes::plan_memory(g, {false, true}));
  EXPECT_EQ(live.at(r1), std::make_pair(0, 3));
  EXPECT_EQ(live.at(dropout[0]), std::make_pair(1, 2));
  EXPECT_EQ(live.at(dropout[1]), std::make_pair(1, 1));
  EXPECT_EQ(live.at(r3), std::make_pair(2, 3));
  EXPECT_EQ(live.at(r4), std::make_pair(3, 3));
  EXPECT_EQ(live.size(), 5u);  // the constant is not planned
}

}  // namespace
