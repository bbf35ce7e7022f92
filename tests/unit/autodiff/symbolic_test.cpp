// symbolic_test.cpp: differentiation rules, simplification, and expression swell.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gb/autodiff/evaluate.hpp"
#include "gb/autodiff/numerical.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/autodiff/swell.hpp"
#include "gb/autodiff/symbolic.hpp"
#include "gb/core/error.hpp"
#include "scalar_test_helpers.hpp"

namespace ad = gb::autodiff;

namespace {

std::string d(const std::string& text, const std::string& var, bool simplify = true) {
  return ad::to_string(ad::differentiate(ad::parse(text), var, simplify));
}

}  // namespace

TEST(Symbolic, RulesWithSimplification) {
  EXPECT_EQ(d("x * y", "x"), "y");
  EXPECT_EQ(d("x * y", "y"), "x");
  EXPECT_EQ(d("x + 3", "x"), "1");
  EXPECT_EQ(d("x ^ 3", "x"), "3 * x ^ 2");
  EXPECT_EQ(d("sin(x)", "x"), "cos(x)");
  EXPECT_EQ(d("cos(x)", "x"), "-sin(x)");
  EXPECT_EQ(d("log(x)", "x"), "1 / x");
  EXPECT_EQ(d("exp(2 * x)", "x"), "exp(2 * x) * 2");
  EXPECT_EQ(d("log(x1) + x1*x2 - sin(x2)", "x1"), "1 / x1 + x2");
  EXPECT_EQ(d("log(x1) + x1*x2 - sin(x2)", "x2"), "x1 - cos(x2)");
  EXPECT_EQ(d("relu(x)", "x"), "step(x)");
  EXPECT_EQ(d("abs(x)", "x"), "sign(x)");
  EXPECT_EQ(d("y ^ 2", "x"), "0");
}

TEST(Symbolic, RulesWithoutSimplificationKeepEveryTerm) {
  EXPECT_EQ(d("x * y", "x", false), "1 * y + x * 0");
  EXPECT_EQ(d("x + 3", "x", false), "1 + 0");
  EXPECT_EQ(ad::to_string(ad::simplify(ad::parse("1 * y + x * 0"))), "y");
  EXPECT_EQ(ad::to_string(ad::simplify(ad::parse("(2 + 3) * x ^ 1 - 0"))), "5 * x");
}

TEST(Symbolic, EveryRuleAgreesWithCentralDifferences) {
  std::mt19937 rng(3);
  for (const auto& c : gb_autodiff_test::unary_cases()) {
    const ad::ExprPtr f = ad::parse(std::string(c.name) + "(x)");
    const ad::ExprPtr df = ad::differentiate(f, "x");
    std::uniform_real_distribution<double> point(c.lo, c.hi);
    for (int k = 0; k < 20; ++k) {
      const double x = point(rng);
      const double numeric = ad::difference([&](double t) { return ad::evaluate(*f, ad::Environment<double>{{"x", t}}); },
                                            x, 1e-6, ad::Difference::central);
      EXPECT_NEAR(ad::evaluate(*df, ad::Environment<double>{{"x", x}}), numeric, 1e-7 * (1 + std::fabs(numeric)))
          << c.name << " at " << x;
    }
  }
  for (const char* text : {"x * y", "x / y", "x ^ y", "y ^ x", "x ^ 3", "x - y", "-x"}) {
    const ad::ExprPtr f = ad::parse(text);
    const ad::ExprPtr df = ad::differentiate(f, "x");
    for (double x : {0.7, 1.3, 2.9}) {
      const ad::Environment<double> at = {{"x", x}, {"y", 1.7}};
      const double numeric = ad::difference([&](double t) { return ad::evaluate(*f, ad::Environment<double>{{"x", t}, {"y", 1.7}}); },
                                            x, 1e-6, ad::Difference::central);
      EXPECT_NEAR(ad::evaluate(*df, at), numeric, 1e-7 * (1 + std::fabs(numeric))) << text;
    }
  }
}

TEST(Symbolic, LogisticMapMatchesItsClosedForm) {
  // Three iterations: l_4 = 64 x (1 - x) (1 - 2x)^2 (1 - 8x + 8x^2)^2 (the published closed form).
  const ad::ExprPtr l4 = ad::logistic_map(4);
  const ad::ExprPtr closed = ad::parse("64*x*(1 - x)*(1 - 2*x)^2*(1 - 8*x + 8*x^2)^2");
  const ad::ExprPtr dl4 = ad::differentiate(l4, "x"), dclosed = ad::differentiate(closed, "x");
  for (double x : {0.1, 0.3, 0.77}) {
    const ad::Environment<double> at = {{"x", x}};
    EXPECT_NEAR(ad::evaluate(*l4, at), ad::evaluate(*closed, at), 1e-12);
    EXPECT_NEAR(ad::evaluate(*dl4, at), ad::evaluate(*dclosed, at), 1e-9);
  }
}

TEST(Symbolic, ExpressionSwellGrowsExponentiallyTheGraphLinearly) {
  const auto rows = ad::expression_swell(8);
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0].expression_nodes, 1u);  // l_1 = x
  EXPECT_EQ(rows[0].derivative_nodes, 1u);  // 1
  // l_{n+1} = 4 * l_n * (1 - l_n) is 5 nodes around two copies of l_n: s_{n+1} = 2 s_n + 5.
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].expression_nodes, 2 * rows[i - 1].expression_nodes + 5);
    EXPECT_EQ(rows[i].graph_nodes, rows[i - 1].graph_nodes + 5);  // the DAG: linear
    EXPECT_GT(rows[i].derivative_nodes, 2 * rows[i - 1].derivative_nodes);
    EXPECT_LT(rows[i].simplified_derivative_nodes, rows[i].derivative_nodes);
    EXPECT_GT(rows[i].simplified_derivative_nodes, rows[i].expression_nodes);  // still swollen
  }
  EXPECT_THROW(ad::expression_swell(0), gb::Error);
  EXPECT_THROW(ad::logistic_map(41), gb::Error);
}

TEST(Symbolic, SimplifyNeverChangesTheValue) {
  std::mt19937 rng(11);
  for (int k = 0; k < 50; ++k) {
    const ad::ExprPtr f = ad::parse(gb_autodiff_test::random_expression(rng, 3));
    const ad::ExprPtr df = ad::differentiate(f, "x1", false);
    const ad::Environment<double> at = {{"x1", 0.3}, {"x2", -0.7}, {"x3", 1.1}};
    EXPECT_NEAR(ad::evaluate(*ad::simplify(df), at), ad::evaluate(*df, at), 1e-9 * (1 + std::fabs(ad::evaluate(*df, at))));
    EXPECT_LE(ad::node_count(ad::simplify(df)), ad::node_count(df));
  }
}
