// Exercise autodiff.reverse.backward (lesson 04-reverse-mode): the backward traversal of the
// scalar tape (Tape::sweep in lib/autodiff/include/gb/autodiff/tape.hpp): visit the nodes in reverse
// topological order and accumulate adjoint * local partial into each input with +=.
//
// Run only this exercise:  autodiff_exercise_tests --gtest_filter='Task_04_1_Backward.*'
#include <gtest/gtest.h>

#include <cmath>

#include "gb/autodiff/tape.hpp"

namespace ad = gb::autodiff;
using V = ad::Var<double>;

TEST(Task_04_1_Backward, GoldenExampleAdjoints) {
  ad::Tape<double> tape;
  const V x1 = tape.variable(2), x2 = tape.variable(5);
  const V v1 = ad::log(x1), v2 = x1 * x2, v3 = v1 + v2, v4 = ad::sin(x2), v5 = v3 - v4;
  const std::vector<double> adjoint = tape.adjoints(v5);
  EXPECT_DOUBLE_EQ(adjoint[v5.index()], 1);
  EXPECT_DOUBLE_EQ(adjoint[v4.index()], -1);  // v5 = v3 - v4
  EXPECT_DOUBLE_EQ(adjoint[v3.index()], 1);
  EXPECT_DOUBLE_EQ(adjoint[v2.index()], 1);
  EXPECT_DOUBLE_EQ(adjoint[v1.index()], 1);
  EXPECT_DOUBLE_EQ(adjoint[x1.index()], 5.5);  // 1/x1 + x2: two paths summed
  EXPECT_NEAR(adjoint[x2.index()], 2 - std::cos(5.0), 1e-15);
}

TEST(Task_04_1_Backward, AccumulatesAtANodeUsedTwice) {
  ad::Tape<double> tape;
  const V x = tape.variable(3);
  const V y1 = x + 1.0, y2 = 2.0 * x;
  const V loss = ad::pow(y1 - y2, 2.0);
  const std::vector<double> adjoint = tape.adjoints(loss);
  EXPECT_DOUBLE_EQ(adjoint[y1.index()], -4);
  EXPECT_DOUBLE_EQ(adjoint[y2.index()], 4);
  EXPECT_DOUBLE_EQ(adjoint[x.index()], 4);
}

TEST(Task_04_1_Backward, ReverseTopologicalOrderOnADiamond) {
  // a feeds b and c, both feed d; d's adjoint must be complete before it is passed on.
  ad::Tape<double> tape;
  const V a = tape.variable(0.5);
  const V b = ad::sin(a), c = ad::exp(a);
  const V d = b * c;
  const V e = d * d;  // e = (sin a e^a)^2
  const double da = 2 * std::sin(0.5) * std::exp(0.5) * (std::cos(0.5) + std::sin(0.5)) * std::exp(0.5);
  EXPECT_NEAR(tape.gradient(e, {a})[0], da, 1e-14);
}

TEST(Task_04_1_Backward, DeepChainWithoutRecursion) {
  // 100000 nodes in a chain: x * 1.00001 repeated; a recursive walk would overflow the stack.
  ad::Tape<double> tape;
  const V x = tape.variable(1);
  V y = x;
  const V scale = tape.constant(1.00001);
  for (int i = 0; i < 100000; ++i) y = y * scale;
  EXPECT_NEAR(tape.gradient(y, {x})[0], std::pow(1.00001, 100000), 1e-9);
}

TEST(Task_04_1_Backward, GradientOfAGradient) {
  // The same traversal runs on recorded Vars: d/dx (d/dx x^3) = 6x.
  ad::Tape<double> tape;
  const V x = tape.variable(1.5);
  const V y = x * x * x;
  const V dy = tape.gradient_graph(y, {x})[0];
  EXPECT_DOUBLE_EQ(dy.value(), 3 * 1.5 * 1.5);
  EXPECT_DOUBLE_EQ(tape.gradient(dy, {x})[0], 6 * 1.5);
}
