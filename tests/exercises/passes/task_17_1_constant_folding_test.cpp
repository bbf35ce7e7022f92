// Task passes.basic.constant_folding (lesson 17): run a node whose inputs are all constants once, with its
// own kernel (lib/passes/src/basic_folding.cpp, run_on_constants).
#include <gtest/gtest.h>

#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/executor.hpp"
#include "gb/passes/pass_manager.hpp"
#include "gb/passes/passes.hpp"

namespace {

using gb::Tensor;
using gb::graph::Graph;
using gb::graph::ValueId;

Graph fold(const Graph& g, std::vector<gb::passes::Rewrite>& log) {
  return gb::passes::constant_folding().run(g, log);
}

const Tensor& output_constant(const Graph& g, std::size_t k = 0) {
  const auto& node = g.node(g.value(g.outputs().at(k)).producer);
  EXPECT_EQ(node.op, "constant") << g.str();
  return node.attr_tensor("value");
}

TEST(Task_17_1_ConstantFolding, FiveTimesTenIsFiftyBeforeTheModelRuns) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId fifty = g.add("Mul", {g.constant(Tensor::scalar(5)), g.constant(Tensor::scalar(10))});
  g.set_outputs({fifty});
  std::vector<gb::passes::Rewrite> log;
  const Graph out = fold(g, log);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].rule, "constant_folding");
  EXPECT_EQ(output_constant(out).item(), 50.0);
  EXPECT_EQ(gb::passes::op_count(out), 0u);
}

TEST(Task_17_1_ConstantFolding, AWholeConstantSubtreeFoldsInOnePass) {
  gb::convert::register_onnx_ops();
  Graph g;
  // 1 / (5 * 10) in float32, then a transpose of a constant matrix.
  const ValueId scale = g.add("Div", {g.constant(Tensor::scalar(1)), g.add("Mul", {g.constant(Tensor::scalar(5)), g.constant(Tensor::scalar(10))})});
  const Tensor m = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const ValueId t = g.add("Transpose", {g.constant(m)}, {{"perm", std::vector<std::int64_t>{1, 0}}});
  g.set_outputs({scale, t});
  std::vector<gb::passes::Rewrite> log;
  const Graph out = fold(g, log);
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(output_constant(out, 0).dtype(), gb::DType::f32);
  EXPECT_EQ(output_constant(out, 0).to_vector()[0], static_cast<double>(1.0f / 50.0f));
  const Tensor& folded = output_constant(out, 1);
  EXPECT_EQ(folded.shape(), (gb::Shape{3, 2}));
  EXPECT_EQ(folded.to_vector(), (std::vector<double>{1, 4, 2, 5, 3, 6}));
}

TEST(Task_17_1_ConstantFolding, ANodeReadingAnInputStays) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {gb::DType::f32, {3}});
  const ValueId c = g.add("Add", {g.constant(Tensor::scalar(2)), g.constant(Tensor::scalar(3))});
  const ValueId y = g.add("Mul", {x, c});
  g.set_outputs({y});
  std::vector<gb::passes::Rewrite> log;
  const Graph out = fold(g, log);
  ASSERT_EQ(log.size(), 1u);  // only 2 + 3
  EXPECT_EQ(gb::passes::op_count(out), 1u);
  const Tensor in = Tensor::from_vector(std::vector<float>{1, -2, 0.5f}, {3});
  EXPECT_EQ(gb::graph::run(out, {{"x", in}})[0].to_vector(), (std::vector<double>{5, -10, 2.5}));
}

}  // namespace
