// numerical_test.cpp: finite differences and the error-versus-h U curve.
#include <gtest/gtest.h>

#include <cmath>

#include "gb/autodiff/numerical.hpp"
#include "gb/core/error.hpp"

namespace ad = gb::autodiff;

TEST(NumericalDifferences, OrdersOfTheTruncationError) {
  // f = exp, f'(1) = e. Halving h halves the one-sided error (O(h)) and quarters the central one (O(h^2)).
  auto f = [](double x) { return std::exp(x); };
  const double exact = std::exp(1.0);
  for (ad::Difference kind : {ad::Difference::forward, ad::Difference::backward}) {
    const double e1 = std::fabs(ad::difference(f, 1, 1e-3, kind) - exact);
    const double e2 = std::fabs(ad::difference(f, 1, 5e-4, kind) - exact);
    EXPECT_NEAR(e1 / e2, 2.0, 0.01) << ad::difference_name(kind);
  }
  const double c1 = std::fabs(ad::difference(f, 1, 1e-2, ad::Difference::central) - exact);
  const double c2 = std::fabs(ad::difference(f, 1, 5e-3, ad::Difference::central) - exact);
  EXPECT_NEAR(c1 / c2, 4.0, 0.01);
  // The leading terms, from Taylor's formula: forward ~ h f''/2, central ~ h^2 f'''/6.
  EXPECT_NEAR(ad::difference(f, 1, 1e-3, ad::Difference::forward) - exact, 1e-3 * exact / 2, 1e-6);
  EXPECT_NEAR(ad::difference(f, 1, 1e-2, ad::Difference::central) - exact, 1e-4 * exact / 6, 1e-8);
}

TEST(NumericalDifferences, CentralGradientOfTheGoldenExample) {
  auto f = [](const std::vector<double>& x) { return std::log(x[0]) + x[0] * x[1] - std::sin(x[1]); };
  const std::vector<double> g = ad::central_gradient(f, {2, 5});
  ASSERT_EQ(g.size(), 2u);
  EXPECT_NEAR(g[0], 5.5, 1e-8);
  EXPECT_NEAR(g[1], 2 - std::cos(5.0), 1e-8);
}

TEST(NumericalDifferences, ErrorVersusHIsAUCurve) {
  auto f = [](double x) { return std::sin(x); };
  const auto curve = ad::error_versus_h(f, std::cos(1.0), 1.0, -16, -1, 31);
  ASSERT_EQ(curve.size(), 31u);
  EXPECT_DOUBLE_EQ(curve.front().h, 0.1);
  EXPECT_NEAR(curve.back().h, 1e-16, 1e-30);
  // The central difference is best near h = 1e-5 (eps^(1/3)), the forward one near 1e-8 (eps^(1/2));
  // both ends of the curve are far worse than its bottom.
  auto best = [&](auto error_of) {
    std::size_t k = 0;
    for (std::size_t i = 0; i < curve.size(); ++i) if (error_of(curve[i]) < error_of(curve[k])) k = i;
    return k;
  };
  const std::size_t c = best([](const ad::ErrorAtH& p) { return p.central_error; });
  const std::size_t fw = best([](const ad::ErrorAtH& p) { return p.forward_error; });
  EXPECT_GT(curve[c].h, 1e-8);
  EXPECT_LT(curve[c].h, 1e-3);
  EXPECT_GT(curve[fw].h, 1e-11);
  EXPECT_LT(curve[fw].h, 1e-5);
  EXPECT_LT(curve[c].central_error, 1e-9);
  EXPECT_GT(curve.front().central_error, 1e3 * curve[c].central_error);
  EXPECT_GT(curve.back().central_error, 1e3 * curve[c].central_error);
}

TEST(NumericalDifferences, BadInputIsAnError) {
  auto f = [](double x) { return x; };
  EXPECT_THROW(ad::difference(f, 1, 0, ad::Difference::central), gb::Error);
  EXPECT_THROW(ad::difference(f, 1, -1e-3, ad::Difference::central), gb::Error);
  EXPECT_THROW(ad::difference(f, NAN, 1e-3, ad::Difference::forward), gb::Error);
  EXPECT_THROW(ad::difference(ad::ScalarFunction{}, 1, 1e-3, ad::Difference::forward), gb::Error);
  EXPECT_THROW(ad::error_versus_h(f, 1, 0, -1, -16, 10), gb::Error);
  EXPECT_THROW(ad::error_versus_h(f, 1, 0, -16, -1, 1), gb::Error);
}
