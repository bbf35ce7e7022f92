// Exercise graph.schedule.fifo (lesson 07-scheduling): the FIFO ready-queue loop of run_fifo
// (lib/graph/src/executor.cpp, fifo_schedule): set each needed node's in-degree to its number of
// input edges, queue the nodes with in-degree 0, then pop the front, run it, decrement the in-degree
// of each of its consumer edges and queue the consumers that reach 0 at the back.
//
// Run only this exercise:  graph_exercise_tests --gtest_filter='Task_07_1_InDegreeScheduler.*'
#include <gtest/gtest.h>

#include "gb/core.hpp"
#include "gb/graph/executor.hpp"

namespace graph = gb::graph;
using gb::DType;
using gb::Tensor;

TEST(Task_07_1_InDegreeScheduler, RunsAChainAndReturnsItsValue) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {}});
  g.set_outputs({g.add("neg", {g.add("exp", {x})})});
  const graph::RunResult r = graph::run_fifo(g, {{"x", Tensor::scalar(0, DType::f64)}});
  EXPECT_EQ(r.outputs[0].item(), -1);
  EXPECT_EQ(r.order, (std::vector<graph::NodeId>{0, 1, 2}));
}

TEST(Task_07_1_InDegreeScheduler, QueueIsFirstInFirstOut) {
  // x feeds a chain (n1 -> n2) and a side node n3: n3 was queued before n2, so it runs first.
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {}});
  const graph::ValueId c1 = g.add("exp", {x});
  const graph::ValueId c2 = g.add("exp", {c1});
  const graph::ValueId side = g.add("sin", {x});
  g.set_outputs({g.add("add", {c2, side})});
  const graph::RunResult r = graph::run_fifo(g, {{"x", Tensor::scalar(1, DType::f64)}});
  EXPECT_EQ(r.order, (std::vector<graph::NodeId>{0, 1, 3, 2, 4}));
}

TEST(Task_07_1_InDegreeScheduler, AValueReadTwiceCountsTwoEdges) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {2}});
  const graph::ValueId sq = g.add("mul", {x, x});
  g.set_outputs({g.add("add", {sq, x})});
  const graph::RunResult r = graph::run_fifo(g, {{"x", Tensor::from_values({2, 3}, {2}, DType::f64)}});
  EXPECT_EQ(r.outputs[0].to_vector(), (std::vector<double>{6, 12}));
  EXPECT_EQ(r.order.size(), 3u);  // each node runs once
}

TEST(Task_07_1_InDegreeScheduler, OnlyTheNeededNodesRun) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {}});
  g.add("exp", {x});
  const graph::ValueId y = g.add("neg", {x});
  g.set_outputs({y});
  const graph::RunResult r = graph::run_fifo(g, {{"x", Tensor::scalar(2, DType::f64)}});
  EXPECT_EQ(r.order, (std::vector<graph::NodeId>{0, 2}));
}
