// autodiff_tensor_lessons_tests.cpp: lesson 05-ad-modes-and-jacobians' numbers, checked independently.
#include <gtest/gtest.h>

#include <string>

#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

const gb::trace::Scene& final_scene(const gb::trace::Recording& r, const std::string& id) {
  static gb::trace::State state;
  state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw std::runtime_error("no scene " + id);
  return s->scene;
}

TEST(Lesson05, JacrevCostsMPassesAndJacfwdNPasses) {
  const auto r = gb::lessons::run("05-ad-modes-and-jacobians", {{"max_size", "4"}, {"max_layers", "2"}});
  const auto& costs = final_scene(r, "costs").table;
  ASSERT_EQ(costs.rows.size(), 6u);  // n = 1, 2, 4 with m = 2; then m = 1, 2, 4 with n = 2
  for (const auto& row : costs.rows) {
    EXPECT_EQ(row[2], row[1]) << "jacrev: one VJP per output (m)";
    EXPECT_EQ(row[3], row[0]) << "jacfwd: one JVP per input (n)";
  }
}

TEST(Lesson05, TheLibraryRecordsTheReversePass) {
  const auto r = gb::lessons::run("05-ad-modes-and-jacobians", {{"max_size", "1"}, {"max_layers", "1"}});
  const auto& graph = final_scene(r, "autodiff").graph;
  // x, reshape (x as a column), W, matmul, reshape (the column back to a vector), tanh;
  // the two backward passes (one per row of J) leave a gradient badge on x
  ASSERT_EQ(graph.nodes.size(), 6u);
  bool x_has_gradient = false;
  for (const auto& n : graph.nodes) x_has_gradient |= n.label == "x" && !n.gradient.empty();
  EXPECT_TRUE(x_has_gradient);
}

TEST(Lesson05, CheckpointingSavesMemoryThatGrowsWithDepth) {
  const auto r = gb::lessons::run("05-ad-modes-and-jacobians", {{"max_size", "1"}, {"max_layers", "8"}});
  const auto& rows = final_scene(r, "memory_table").table.rows;
  ASSERT_EQ(rows.size(), 4u);  // 1, 2, 4, 8 layers
  // batch 16 x width 32 doubles = 4096 bytes per activation, a 32 x 32 weight 8192. Checkpointed: the
  // input of every segment plus the last output (N + 1 activations). Plain: the input x, then per layer
  // the weight (matmul) and the tanh output (the next matmul's input is the same storage).
  EXPECT_EQ(rows[3][2], std::to_string((8 + 1) * 4096));
  EXPECT_EQ(rows[3][1], std::to_string(4096 + 8 * (8192 + 4096)));
}

TEST(Lesson05, HessianAndHigherOrders) {
  const auto r = gb::lessons::run("05-ad-modes-and-jacobians", {{"max_size", "1"}, {"max_layers", "1"}});
  const auto& h = final_scene(r, "hessian").table.rows;
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0][1], "6");
  EXPECT_EQ(h[0][2], "1");
  EXPECT_EQ(h[1][2], "-12");
  EXPECT_EQ(h[2][3], "3");
  const auto& orders = final_scene(r, "orders").table.rows;
  ASSERT_EQ(orders.size(), 5u);
  EXPECT_EQ(orders[3][1], "6");
  EXPECT_EQ(orders[4][1], "0");
}

}  // namespace
