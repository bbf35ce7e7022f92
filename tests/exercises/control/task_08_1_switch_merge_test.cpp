// Exercise control.switch_merge (lesson 08-control-flow): the token rules of Switch and Merge.
//
// Run only this exercise:  control_exercise_tests --gtest_filter='Task_08_1_SwitchMerge.*'
// fire_switch_or_merge (lib/control/src/switch_merge.cpp) gets the tokens on a node's inputs and
// returns the tokens on its outputs. Switch: {out_false, out_true}. Merge: {value, value_index}.
#include <gtest/gtest.h>

#include "gb/control/dataflow.hpp"
#include "gb/control/functional.hpp"
#include "gb/graph/executor.hpp"

using gb::Tensor;
using gb::control::Token;

namespace {

gb::graph::Node node_of(const std::string& op) {
  gb::graph::Node node;
  node.op = op;
  node.name = op;
  return node;
}

Token live(double v) { return Token{Tensor::scalar(v, gb::DType::f64), false}; }
Token dead() { return Token{Tensor(), true}; }

}  // namespace

TEST(Task_08_1_SwitchMerge, SwitchRoutesDataToOneSideAndDeadToTheOther) {
  const gb::graph::Node sw = node_of("Switch");
  std::vector<Token> out = gb::control::fire_switch_or_merge(sw, {live(2.5), live(1)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].dead);  // out_false
  ASSERT_FALSE(out[1].dead);
  EXPECT_EQ(out[1].value.item(), 2.5);

  out = gb::control::fire_switch_or_merge(sw, {live(-4), Token{Tensor::scalar(0, gb::DType::u8), false}});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_FALSE(out[0].dead);
  EXPECT_EQ(out[0].value.item(), -4.0);
  EXPECT_TRUE(out[1].dead);
}

TEST(Task_08_1_SwitchMerge, SwitchOfADeadTokenIsDeadOnBothSides) {
  const gb::graph::Node sw = node_of("Switch");
  std::vector<Token> out = gb::control::fire_switch_or_merge(sw, {dead(), live(1)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].dead);
  EXPECT_TRUE(out[1].dead);
  out = gb::control::fire_switch_or_merge(sw, {live(3), dead()});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].dead);
  EXPECT_TRUE(out[1].dead);
}

TEST(Task_08_1_SwitchMerge, MergeForwardsTheLiveInputAndItsIndex) {
  const gb::graph::Node merge = node_of("Merge");
  std::vector<Token> out = gb::control::fire_switch_or_merge(merge, {dead(), live(7)});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_FALSE(out[0].dead);
  EXPECT_EQ(out[0].value.item(), 7.0);
  EXPECT_EQ(out[1].value.dtype(), gb::DType::i64);
  EXPECT_EQ(out[1].value.item(), 1.0);

  // The live input fires the Merge at once, even before the other input arrived.
  out = gb::control::fire_switch_or_merge(merge, {live(5), std::nullopt});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].value.item(), 5.0);
  EXPECT_EQ(out[1].value.item(), 0.0);
}

TEST(Task_08_1_SwitchMerge, MergeWaitsThenIsDeadOnlyWhenAllInputsAreDead) {
  const gb::graph::Node merge = node_of("Merge");
  EXPECT_TRUE(gb::control::fire_switch_or_merge(merge, {dead(), std::nullopt}).empty());
  const std::vector<Token> out = gb::control::fire_switch_or_merge(merge, {dead(), dead()});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].dead);
  EXPECT_TRUE(out[1].dead);
}

TEST(Task_08_1_SwitchMerge, ALoweredIfGivesTheValueOfTheTakenBranch) {
  using gb::graph::Graph;
  const gb::graph::ValueInfo scalar{gb::DType::f64, {}};
  auto then_branch = std::make_shared<Graph>();
  {
    const auto x = then_branch->placeholder("x", scalar);
    then_branch->set_outputs({then_branch->add("mul", {x, then_branch->constant(Tensor::scalar(3, gb::DType::f64))})});
  }
  auto else_branch = std::make_shared<Graph>();
  {
    const auto x = else_branch->placeholder("x", scalar);
    else_branch->set_outputs({else_branch->add("neg", {x})});
  }
  Graph g;
  const auto x = g.placeholder("x", scalar);
  const auto c = g.add("gt", {x, g.constant(Tensor::scalar(0, gb::DType::f64))});
  g.set_outputs(gb::control::make_if(g, c, {x}, then_branch, else_branch));
  const Graph lowered = gb::control::lower_to_dataflow(g);
  for (double v : {2.0, -5.0}) {
    const auto result = gb::control::run_dataflow(lowered, {{"x", Tensor::scalar(v, gb::DType::f64)}});
    ASSERT_EQ(result.outputs.size(), 1u);
    EXPECT_DOUBLE_EQ(result.outputs[0].item(), v > 0 ? 3 * v : -v);
  }
}
