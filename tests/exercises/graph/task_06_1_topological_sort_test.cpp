// Exercise graph.topo.sort (lesson 06-computation-graph): Kahn's algorithm in Graph::topological_order
// (lib/graph/src/graph.cpp, kahn_order): count each node's in-degree, start from the nodes with
// none, repeatedly take the lowest-id ready node and decrement its consumers; a node never taken
// sits on a cycle.
//
// Run only this exercise:  graph_exercise_tests --gtest_filter='Task_06_1_TopologicalSort.*'
#include <gtest/gtest.h>

#include "gb/graph/graph.hpp"

namespace graph = gb::graph;
using gb::DType;

TEST(Task_06_1_TopologicalSort, ADiamondComesOutInputsFirst) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f32, {2}});
  const graph::ValueId a = g.add("exp", {x});
  const graph::ValueId b = g.add("sin", {x});
  g.set_outputs({g.add("add", {a, b})});
  EXPECT_EQ(g.topological_order(), (std::vector<graph::NodeId>{0, 1, 2, 3}));
}

TEST(Task_06_1_TopologicalSort, OnlyNeededDropsWhatTheOutputsDoNotReadAndCountsEdgesTwice) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f32, {2}});
  const graph::ValueId y = g.placeholder("y", {DType::f32, {2}});
  g.add("neg", {y});                              // n2: not needed
  const graph::ValueId sq = g.add("mul", {x, x});  // n3: two edges from x
  g.set_outputs({g.add("tanh", {sq})});            // n4
  EXPECT_EQ(g.topological_order(true), (std::vector<graph::NodeId>{0, 3, 4}));
  EXPECT_EQ(g.topological_order(false).size(), 5u);
}

TEST(Task_06_1_TopologicalSort, EveryNodeAfterItsInputsOnALongerGraph) {
  graph::Graph g;
  std::vector<graph::ValueId> v = {g.placeholder("a", {DType::f64, {}}), g.placeholder("b", {DType::f64, {}})};
  for (int i = 0; i < 20; ++i) v.push_back(g.add(i % 3 == 0 ? "mul" : "add", {v[static_cast<std::size_t>(i / 2)], v.back()}));
  const std::vector<graph::NodeId> order = g.topological_order();
  ASSERT_EQ(order.size(), g.size());
  std::vector<std::size_t> position(g.size());
  for (std::size_t k = 0; k < order.size(); ++k) position[static_cast<std::size_t>(order[k])] = k;
  for (const graph::Node& n : g.nodes()) {
    for (graph::ValueId in : n.inputs) EXPECT_LT(position[static_cast<std::size_t>(g.value(in).producer)], position[static_cast<std::size_t>(n.id)]);
  }
}
