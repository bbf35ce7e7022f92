// Exercise quant.calibrate.kl_divergence (lesson 24-post-training-quantization): kl_divergence in
// lib/quant/src/calibrate.cpp, the measure TensorRT's entropy calibration minimises:
//   KL(P || Q) = sum_i p_i log(p_i / q_i)
// after normalising both histograms to sum 1, over the bins where p_i > 0 (a bin with p_i > 0 and
// q_i == 0 gives +infinity). Both must have the same number of bins, finite counts >= 0 and some mass.
//
// Run only this exercise:  quant_exercise_tests --gtest_filter='Task_24_1_KlDivergence.*'
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "../core/exercise_checks.hpp"
#include "gb/core/rng.hpp"
#include "gb/quant/calibrate.hpp"

namespace {

namespace quant = gb::quant;

TEST(Task_24_1_KlDivergence, IsZeroForEqualDistributions) {
  EXPECT_EQ(quant::kl_divergence({1, 2, 3, 0}, {1, 2, 3, 0}), 0.0);
  EXPECT_NEAR(quant::kl_divergence({1, 2, 3}, {10, 20, 30}), 0.0, 1e-15);  // counts are normalised first
}

// p = (1/2, 1/2), q = (1/4, 3/4): KL = 1/2 log 2 + 1/2 log(2/3), and not symmetric.
TEST(Task_24_1_KlDivergence, TheDefinitionOnTwoBins) {
  EXPECT_NEAR(quant::kl_divergence({1, 1}, {1, 3}), 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-15);
  EXPECT_NEAR(quant::kl_divergence({1, 3}, {1, 1}), 0.25 * std::log(0.5) + 0.75 * std::log(1.5), 1e-15);
}

// Bins where P is empty contribute nothing; where Q is empty and P is not, Q cannot stand for P.
TEST(Task_24_1_KlDivergence, EmptyBinsOfPAreSkippedEmptyBinsOfQAreInfinite) {
  EXPECT_NEAR(quant::kl_divergence({0, 1, 1}, {5, 1, 1}), std::log(7.0 / 2.0), 1e-14);
  EXPECT_EQ(quant::kl_divergence({1, 1}, {1, 0}), std::numeric_limits<double>::infinity());
}

// Gibbs' inequality: KL >= 0, with equality only for equal distributions.
TEST(Task_24_1_KlDivergence, IsPositiveOnRandomDistributions) {
  gb::Rng rng(24);
  for (int t = 0; t < 200; ++t) {
    std::vector<double> p(16), q(16);
    for (std::size_t i = 0; i < p.size(); ++i) {
      p[i] = rng.uniform(0.0, 1.0);
      q[i] = rng.uniform(0.01, 1.0);
    }
    double expected = 0.0, sp = 0.0, sq = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      sp += p[i];
      sq += q[i];
    }
    for (std::size_t i = 0; i < p.size(); ++i) expected += p[i] / sp * std::log((p[i] / sp) / (q[i] / sq));
    const double d = quant::kl_divergence(p, q);
    EXPECT_GT(d, 0.0);
    EXPECT_NEAR(d, expected, 1e-12);
  }
}

// The sweep of lesson 24 rests on it: a histogram that fits in 128 bins is kept whole (divergence 0).
TEST(Task_24_1_KlDivergence, TheSweepFindsTheNarrowestExactRange) {
  quant::Histogram h;
  h.max = 512.0;
  h.counts.assign(512, 0.0);
  for (int b = 0; b < 100; ++b) h.counts[static_cast<std::size_t>(b)] = 1.0 + b % 7;
  const quant::KlSweep s = quant::kl_sweep(h);
  EXPECT_EQ(s.divergence.front(), 0.0);
  EXPECT_EQ(s.best, 128);
}

TEST(Task_24_1_KlDivergence, BadInputsAreErrors) {
  std::string m = gb_exercise::error_message_of([] { quant::kl_divergence({1, 2}, {1, 2, 3}); });
  EXPECT_CONTAINS(m, "kl_divergence");
  EXPECT_CONTAINS(m, "2 and 3");
  m = gb_exercise::error_message_of([] { quant::kl_divergence({1, -2}, {1, 2}); });
  EXPECT_CONTAINS(m, ">= 0");
  m = gb_exercise::error_message_of([] { quant::kl_divergence({0, 0}, {1, 2}); });
  EXPECT_CONTAINS(m, "mass");
  m = gb_exercise::error_message_of([] { quant::kl_divergence({1, NAN}, {1, 2}); });
  EXPECT_CONTAINS(m, "finite");
}

}  // namespace
