// modes_test.cpp: one expression, four modes, one answer; the golden numbers; bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gb/autodiff/modes.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/core/error.hpp"
#include "scalar_test_helpers.hpp"

namespace ad = gb::autodiff;

namespace {
const ad::Mode all_modes[] = {ad::Mode::numeric, ad::Mode::symbolic, ad::Mode::forward, ad::Mode::reverse};
}

TEST(FourModes, GoldenExampleInEveryMode) {
  for (ad::Mode mode : all_modes) {
    const ad::Gradient g = ad::gradient("log(x1) + x1*x2 - sin(x2)", {{"x1", 2}, {"x2", 5}}, mode);
    EXPECT_EQ(g.variables, (std::vector<std::string>{"x1", "x2"}));
    EXPECT_NEAR(g.value, 11.652071, 1e-6) << ad::mode_name(mode);
    EXPECT_NEAR(g.partials[0], 5.5, mode == ad::Mode::numeric ? 1e-8 : 1e-15) << ad::mode_name(mode);
    EXPECT_NEAR(g.partials[1], 1.716338, 1e-6) << ad::mode_name(mode);
    const ad::Gradient twice = ad::gradient("(x + 1 - 2*x)^2", {{"x", 3}}, mode);
    EXPECT_NEAR(twice.value, 4, 1e-12);
    EXPECT_NEAR(twice.partials[0], 4, 1e-8) << ad::mode_name(mode);
  }
}

TEST(FourModes, ForwardReverseAndSymbolicAgreeOnRandomExpressions) {
  std::mt19937 rng(2024);
  std::uniform_real_distribution<double> coordinate(-1.5, 1.5);
  for (int k = 0; k < 200; ++k) {
    const std::string text = gb_autodiff_test::random_expression(rng, 1 + k % 4);
    const ad::ExprPtr f = ad::parse(text);
    ad::Point point;
    for (const std::string& name : ad::variables(f)) point[name] = coordinate(rng);
    const ad::Gradient reverse = ad::gradient(f, point, ad::Mode::reverse);
    for (ad::Mode mode : all_modes) {
      const ad::Gradient other = ad::gradient(f, point, mode);
      ASSERT_EQ(other.partials.size(), reverse.partials.size());
      EXPECT_EQ(other.value, reverse.value);
      const double tol = mode == ad::Mode::numeric ? 1e-6 : 1e-12;
      for (std::size_t i = 0; i < reverse.partials.size(); ++i) {
        EXPECT_NEAR(other.partials[i], reverse.partials[i], tol * (1 + std::fabs(reverse.partials[i])))
            << text << " d/d" << reverse.variables[i] << " in " << ad::mode_name(mode);
      }
    }
  }
}

TEST(FourModes, HessianOfKnownFunctions) {
  // f = x^2 y + exp(y): H = [[2y, 2x], [2x, e^y]].
  const ad::Matrix h = ad::hessian("x^2 * y + exp(y)", {{"x", 1.5}, {"y", -0.5}});
  ASSERT_EQ(h.size(), 2u);
  EXPECT_NEAR(h[0][0], -1, 1e-14);
  EXPECT_NEAR(h[0][1], 3, 1e-14);
  EXPECT_NEAR(h[1][0], 3, 1e-14);
  EXPECT_NEAR(h[1][1], std::exp(-0.5), 1e-14);
  // The golden example: H = [[-1/x1^2, 1], [1, sin x2]].
  const ad::Matrix g = ad::hessian("log(x1) + x1*x2 - sin(x2)", {{"x1", 2}, {"x2", 5}});
  EXPECT_NEAR(g[0][0], -0.25, 1e-15);
  EXPECT_NEAR(g[0][1], 1, 1e-15);
  EXPECT_NEAR(g[1][1], std::sin(5.0), 1e-15);
  EXPECT_TRUE(ad::hessian("2 + 3", {}).empty());
}

TEST(FourModes, BadInputIsAnError) {
  for (ad::Mode mode : all_modes) {
    EXPECT_THROW(ad::gradient("x1 + x2", {{"x1", 1}}, mode), gb::Error);
    EXPECT_THROW(ad::gradient("x1", {{"x1", 1}, {"x9", 2}}, mode), gb::Error);
    EXPECT_THROW(ad::gradient("x1", {{"x1", NAN}}, mode), gb::Error);
    EXPECT_THROW(ad::gradient("log(x)", {{"x", -1}}, mode), gb::Error);
    EXPECT_THROW(ad::gradient("sqrt(x", {{"x", 1}}, mode), gb::Error);
  }
  try {
    ad::gradient("x1 + x2", {{"x1", 1}}, ad::Mode::forward);
  } catch (const gb::Error& e) {
    EXPECT_EQ(std::string(e.what()), "gradient: expected a value for every variable (x1, x2), given none for 'x2'");
  }
  EXPECT_THROW(ad::mode_from_name("sideways"), gb::Error);
  EXPECT_EQ(ad::mode_from_name("symbolic"), ad::Mode::symbolic);
}
