// dual_test.cpp: forward mode: every Dual rule against central differences, nested duals against
// known second derivatives, jvp and jacfwd.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gb/autodiff/dual.hpp"
#include "gb/autodiff/evaluate.hpp"
#include "gb/autodiff/jvp.hpp"
#include "gb/autodiff/numerical.hpp"
#include "gb/autodiff/parser.hpp"
#include "scalar_test_helpers.hpp"

namespace ad = gb::autodiff;
using D = ad::Dual<double>;
using DD = ad::Dual<D>;

namespace {

// d/dx of the one-variable expression at x, by one forward pass.
double forward_derivative(const ad::ExprPtr& f, double x) {
  return ad::evaluate(*f, ad::Environment<D>{{"x", D(x, 1.0)}}).tangent;
}

double central(const ad::ExprPtr& f, double x) {
  return ad::difference([&](double t) { return ad::evaluate(*f, ad::Environment<double>{{"x", t}}); }, x, 1e-6,
                        ad::Difference::central);
}

}  // namespace

TEST(DualNumbers, GoldenExampleOnePassPerInput) {
  // f = ln(x1) + x1 x2 - sin(x2) at (2, 5), seeded with dx1 = 1: the tangent trace of the lesson.
  const D x1(2, 1), x2(5, 0);
  const D v1 = ad::log(x1), v2 = x1 * x2, v3 = ad::sin(x2), v4 = v1 + v2, v5 = v4 - v3;
  EXPECT_DOUBLE_EQ(v1.tangent, 0.5);
  EXPECT_DOUBLE_EQ(v2.tangent, 5);
  EXPECT_DOUBLE_EQ(v3.tangent, 0);
  EXPECT_DOUBLE_EQ(v4.tangent, 5.5);
  EXPECT_NEAR(v5.value, 11.652071, 1e-6);
  EXPECT_DOUBLE_EQ(v5.tangent, 5.5);
  const D y = ad::log(D(2, 0)) + D(2, 0) * D(5, 1) - ad::sin(D(5, 1));
  EXPECT_NEAR(y.tangent, 2 - std::cos(5.0), 1e-15);
}

TEST(DualNumbers, EveryRuleAgreesWithCentralDifferences) {
  std::mt19937 rng(5);
  for (const auto& c : gb_autodiff_test::unary_cases()) {
    const ad::ExprPtr f = ad::parse(std::string(c.name) + "(x)");
    std::uniform_real_distribution<double> point(c.lo, c.hi);
    for (int k = 0; k < 20; ++k) {
      const double x = point(rng), numeric = central(f, x);
      EXPECT_NEAR(forward_derivative(f, x), numeric, 1e-7 * (1 + std::fabs(numeric))) << c.name << " at " << x;
    }
  }
  std::uniform_real_distribution<double> point(0.3, 3);
  for (const char* text : {"x * 1.7", "x / 1.7", "1.7 / x", "x + x * x", "x - 2 * x", "-x", "x ^ 3", "x ^ -2",
                           "x ^ 0.5", "x ^ x", "2 ^ x", "(x - 5) ^ 2"}) {
    const ad::ExprPtr f = ad::parse(text);
    for (int k = 0; k < 10; ++k) {
      const double x = point(rng), numeric = central(f, x);
      EXPECT_NEAR(forward_derivative(f, x), numeric, 1e-7 * (1 + std::fabs(numeric))) << text << " at " << x;
    }
  }
}

TEST(DualNumbers, MixedWithPlainNumbers) {
  const D x(3, 1);
  EXPECT_DOUBLE_EQ((2.0 * x).tangent, 2);
  EXPECT_DOUBLE_EQ((x * 2.0 + 1.0).value, 7);
  EXPECT_DOUBLE_EQ((1.0 - x).tangent, -1);
  EXPECT_DOUBLE_EQ((1.0 / x).tangent, -1.0 / 9);
  EXPECT_DOUBLE_EQ((x / 2.0).tangent, 0.5);
  EXPECT_DOUBLE_EQ(ad::pow(x, 0.0).tangent, 0);
}

TEST(DualNumbers, NestedDualsGiveSecondDerivatives) {
  // x + eps1 + eps2 with eps1 eps2 kept: value.tangent and tangent.value are f', tangent.tangent is f''.
  auto second = [](auto f, double x) {
    const DD y = f(DD(D(x, 1), D(1, 0)));
    EXPECT_DOUBLE_EQ(y.value.tangent, y.tangent.value);
    return std::pair<double, double>(y.value.tangent, y.tangent.tangent);
  };
  const double x = 0.7;
  auto [d1, d2] = second([](DD t) { return ad::sin(t); }, x);
  EXPECT_NEAR(d1, std::cos(x), 1e-15);
  EXPECT_NEAR(d2, -std::sin(x), 1e-15);
  std::tie(d1, d2) = second([](DD t) { return ad::exp(t * t); }, x);  // (2x) e^{x^2}, (2 + 4x^2) e^{x^2}
  EXPECT_NEAR(d1, 2 * x * std::exp(x * x), 1e-14);
  EXPECT_NEAR(d2, (2 + 4 * x * x) * std::exp(x * x), 1e-14);
  std::tie(d1, d2) = second([](DD t) { return ad::log(t); }, x);
  EXPECT_NEAR(d2, -1 / (x * x), 1e-14);
  std::tie(d1, d2) = second([](DD t) { return ad::tanh(t); }, x);  // tanh'' = -2 tanh (1 - tanh^2)
  EXPECT_NEAR(d2, -2 * std::tanh(x) * (1 - std::tanh(x) * std::tanh(x)), 1e-14);
  std::tie(d1, d2) = second([](DD t) { return ad::sigmoid(t); }, x);  // s'' = s (1 - s)(1 - 2s)
  const double s = 1 / (1 + std::exp(-x));
  EXPECT_NEAR(d2, s * (1 - s) * (1 - 2 * s), 1e-14);
  std::tie(d1, d2) = second([](DD t) { return ad::sqrt(t); }, x);
  EXPECT_NEAR(d2, -0.25 * std::pow(x, -1.5), 1e-13);
  std::tie(d1, d2) = second([](DD t) { return ad::tan(t); }, x);  // tan'' = 2 tan sec^2
  EXPECT_NEAR(d2, 2 * std::tan(x) / (std::cos(x) * std::cos(x)), 1e-13);
  std::tie(d1, d2) = second([](DD t) { return t / (1.0 + t * t); }, x);  // (2x^3 - 6x) / (1 + x^2)^3
  EXPECT_NEAR(d2, (2 * x * x * x - 6 * x) / std::pow(1 + x * x, 3), 1e-14);
  std::tie(d1, d2) = second([](DD t) { return ad::pow(t, 4.0); }, x);
  EXPECT_NEAR(d2, 12 * x * x, 1e-14);
}

TEST(DualNumbers, JvpAndJacfwd) {
  // f(x, y) = (x y, sin x + y^2, x / y): J = [[y, x], [cos x, 2y], [1/y, -x/y^2]].
  auto f = [](const std::vector<D>& v) {
    return std::vector<D>{v[0] * v[1], ad::sin(v[0]) + v[1] * v[1], v[0] / v[1]};
  };
  const double x = 1.5, y = -0.5;
  const ad::Matrix expected = {{y, x}, {std::cos(x), 2 * y}, {1 / y, -x / (y * y)}};
  const ad::Matrix j = ad::jacfwd(f, {x, y});
  ASSERT_EQ(j.size(), 3u);
  for (std::size_t r = 0; r < 3; ++r) {
    ASSERT_EQ(j[r].size(), 2u);
    for (std::size_t c = 0; c < 2; ++c) EXPECT_NEAR(j[r][c], expected[r][c], 1e-14);
  }
  const ad::JvpResult r = ad::jvp(f, {x, y}, {2, 3});
  EXPECT_DOUBLE_EQ(r.value[0], x * y);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(r.tangent[i], 2 * expected[i][0] + 3 * expected[i][1], 1e-13);
  EXPECT_THROW(ad::jvp(f, {x, y}, {1}), gb::Error);
  EXPECT_THROW(ad::jacfwd(f, {}), gb::Error);
}
