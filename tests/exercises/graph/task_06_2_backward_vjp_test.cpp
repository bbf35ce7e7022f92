// Exercise graph.backward.vjp (lesson 06-computation-graph): the graph-level VJP rules of mul and
// matmul (lib/graph/src/ops_elementwise.cpp mul_vjp, lib/graph/src/ops_matmul.cpp matmul_vjp). A rule
// does not compute numbers: it appends backward nodes with ctx.emit, reading the forward inputs as
// saved values. For z = a * b: da = g * b, db = g * a; for C = A B: dA = G B^T, dB = A^T G; each summed
// back to its operand's shape with sum_to_like when broadcasting stretched it.
//
// Run only this exercise:  graph_exercise_tests --gtest_filter='Task_06_2_BackwardVjp.*'
#include <gtest/gtest.h>

#include "gb/core.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"

namespace graph = gb::graph;
using gb::DType;
using gb::Tensor;

TEST(Task_06_2_BackwardVjp, MulSendsEachOperandTheOther) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f64, {3}});
  const graph::ValueId b = g.placeholder("b", {DType::f64, {3}});
  const graph::ValueId loss = g.add("sum", {g.add("mul", {a, b})});
  g.set_outputs(graph::gradients(g, loss, {a, b}));
  const Tensor av = Tensor::from_values({1, 2, 3}, {3}, DType::f64), bv = Tensor::from_values({4, 5, 6}, {3}, DType::f64);
  const std::vector<Tensor> grads = graph::run(g, {{"a", av}, {"b", bv}});
  EXPECT_EQ(grads[0].to_vector(), bv.to_vector());
  EXPECT_EQ(grads[1].to_vector(), av.to_vector());
}

TEST(Task_06_2_BackwardVjp, MulSumsTheBroadcastBack) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f64, {2, 3}});
  const graph::ValueId b = g.placeholder("b", {DType::f64, {3}});
  const graph::ValueId loss = g.add("sum", {g.add("mul", {a, b})});
  g.set_outputs(graph::gradients(g, loss, {a, b}));
  const Tensor av = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64);
  const std::vector<Tensor> grads = graph::run(g, {{"a", av}, {"b", Tensor::ones({3}, DType::f64)}});
  EXPECT_EQ(grads[0].shape(), (gb::Shape{2, 3}));
  EXPECT_EQ(grads[1].to_vector(), (std::vector<double>{5, 7, 9}));  // column sums of a
}

TEST(Task_06_2_BackwardVjp, MatmulGivesGBtAndAtG) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f64, {2, 3}});
  const graph::ValueId b = g.placeholder("b", {DType::f64, {3, 2}});
  const graph::ValueId c = g.add("matmul", {a, b});
  const graph::ValueId seed = g.placeholder("g", {DType::f64, {2, 2}});
  g.set_outputs(graph::gradients(g, c, {a, b}, seed));
  gb::Rng rng(4);
  const Tensor av = rng.uniform({2, 3}, -1, 1, DType::f64), bv = rng.uniform({3, 2}, -1, 1, DType::f64);
  const Tensor gv = rng.uniform({2, 2}, -1, 1, DType::f64);
  const std::vector<Tensor> grads = graph::run(g, {{"a", av}, {"b", bv}, {"g", gv}});
  EXPECT_TRUE(gb::allclose(grads[0], gb::matmul(gv, bv.transpose())));
  EXPECT_TRUE(gb::allclose(grads[1], gb::matmul(av.transpose(), gv)));
}

TEST(Task_06_2_BackwardVjp, TheRulesAppendBackwardNodesThatReadForwardValues) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f32, {2}});
  const graph::ValueId b = g.placeholder("b", {DType::f32, {2}});
  const graph::ValueId loss = g.add("sum", {g.add("mul", {a, b})});
  const std::size_t forward = g.size();
  graph::gradients(g, loss, {a});
  bool reads_b = false;
  for (std::size_t n = forward; n < g.size(); ++n) {
    const graph::Node& node = g.node(static_cast<graph::NodeId>(n));
    EXPECT_EQ(node.group, "backward");
    if (node.op == "mul") reads_b = reads_b || node.inputs[1] == b || node.inputs[0] == b;
  }
  EXPECT_TRUE(reads_b);  // the saved tensor b is a plain edge into the backward graph
}
