// Exercise autodiff.forward.dual_rules (lesson 03-forward-mode): the product, quotient and chain
// rules of Dual<T> (operator*, operator/, sin, log in lib/autodiff/include/gb/autodiff/dual.hpp).
//
// Run only this exercise:  autodiff_exercise_tests --gtest_filter='Task_03_1_DualRules.*'
// Expand each operation to first order in eps (eps^2 = 0):
//   (a + a' eps)(b + b' eps) = ab + (a'b + ab') eps      f(a + a' eps) = f(a) + f'(a) a' eps
#include <gtest/gtest.h>

#include <cmath>

#include "gb/autodiff/dual.hpp"
#include "gb/autodiff/jvp.hpp"

namespace ad = gb::autodiff;
using D = ad::Dual<double>;

TEST(Task_03_1_DualRules, ProductRule) {
  const D y = D(3, 1) * D(4, 0);  // d(3x)/dx... with x = 3 seeded: d(x * 4) = 4
  EXPECT_DOUBLE_EQ(y.value, 12);
  EXPECT_DOUBLE_EQ(y.tangent, 4);
  const D both = D(3, 2) * D(4, -1);  // a'b + ab' = 2*4 + 3*(-1)
  EXPECT_DOUBLE_EQ(both.tangent, 5);
  const D square = D(5, 1) * D(5, 1);  // d(x^2) = 2x
  EXPECT_DOUBLE_EQ(square.tangent, 10);
}

TEST(Task_03_1_DualRules, QuotientRule) {
  const D y = D(3, 1) / D(4, 0);
  EXPECT_DOUBLE_EQ(y.value, 0.75);
  EXPECT_DOUBLE_EQ(y.tangent, 0.25);
  const D inv = D(1, 0) / D(4, 1);  // d(1/x) = -1/x^2
  EXPECT_DOUBLE_EQ(inv.tangent, -1.0 / 16);
  const D q = D(3, 2) / D(4, -1);  // (a'b - ab') / b^2 = (8 + 3) / 16
  EXPECT_DOUBLE_EQ(q.tangent, 11.0 / 16);
}

TEST(Task_03_1_DualRules, ChainRuleForSinAndLog) {
  const D s = ad::sin(D(0.5, 2));
  EXPECT_DOUBLE_EQ(s.value, std::sin(0.5));
  EXPECT_DOUBLE_EQ(s.tangent, 2 * std::cos(0.5));
  const D l = ad::log(D(2, 3));
  EXPECT_DOUBLE_EQ(l.value, std::log(2.0));
  EXPECT_DOUBLE_EQ(l.tangent, 1.5);
}

TEST(Task_03_1_DualRules, GoldenExampleTangentTrace) {
  // f = ln(x1) + x1 x2 - sin(x2) at (2, 5), seed dx1 = 1: v1' = 0.5, v2' = 5, v3' = 0, v5' = 5.5.
  const D x1(2, 1), x2(5, 0);
  EXPECT_DOUBLE_EQ(ad::log(x1).tangent, 0.5);
  EXPECT_DOUBLE_EQ((x1 * x2).tangent, 5);
  EXPECT_DOUBLE_EQ(ad::sin(x2).tangent, 0);
  const D f = ad::log(x1) + x1 * x2 - ad::sin(x2);
  EXPECT_NEAR(f.value, 11.652071, 1e-6);
  EXPECT_DOUBLE_EQ(f.tangent, 5.5);
}

TEST(Task_03_1_DualRules, NestedDualsGiveTheSecondDerivative) {
  // d2/dx2 [x sin x] = 2 cos x - x sin x, from Dual<Dual<double>> seeded in both levels.
  using DD = ad::Dual<D>;
  const double x = 0.9;
  const DD t(D(x, 1), D(1, 0));
  const DD y = t * ad::sin(t);
  EXPECT_NEAR(y.value.tangent, std::sin(x) + x * std::cos(x), 1e-15);
  EXPECT_NEAR(y.tangent.tangent, 2 * std::cos(x) - x * std::sin(x), 1e-15);
  const DD r = DD(1.0) / t;  // (1/x)'' = 2 / x^3
  EXPECT_NEAR(r.tangent.tangent, 2 / (x * x * x), 1e-14);
}

TEST(Task_03_1_DualRules, JacobianColumnByColumn) {
  // f(x, y) = (x y, log(x) / y): J = [[y, x], [1/(x y), -log(x)/y^2]].
  auto f = [](const std::vector<D>& v) { return std::vector<D>{v[0] * v[1], ad::log(v[0]) / v[1]}; };
  const ad::Matrix j = ad::jacfwd(f, {2, 3});
  EXPECT_DOUBLE_EQ(j[0][0], 3);
  EXPECT_DOUBLE_EQ(j[0][1], 2);
  EXPECT_NEAR(j[1][0], 1.0 / 6, 1e-15);
  EXPECT_NEAR(j[1][1], -std::log(2.0) / 9, 1e-15);
}
