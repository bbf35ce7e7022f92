// Exercise compress.distill.soft_target_loss (lesson 27-knowledge-distillation): the value of the
// soft-target loss, in soft_target_loss (lib/compress/src/distill.cpp).
//
// For student logits s and teacher logits t, [N, C], at temperature T:
//   p_t = softmax(t / T),  p_s = softmax(s / T)                       (row by row)
//   L   = T^2 / N  sum_n sum_c p_t[n, c] (log p_t[n, c] - log p_s[n, c])
// the Kullback-Leibler divergence of the student from the teacher, averaged over the batch and scaled by
// T^2 (Hinton et al. 2015), which is torch's kl_div(log_softmax(s / T), softmax(t / T), "batchmean") T^2.
// The expectations below are that formula, written out here in double, and central differences.
//
// Run only this exercise:  compress_exercise_tests --gtest_filter='Task_27_1_SoftTargetLoss.*'
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gb/compress/distill.hpp"
#include "gb/core/rng.hpp"

namespace c = gb::compress;
using gb::autodiff::Variable;
using gb::Tensor;

namespace {

// The definition, in double: T^2 / N sum over rows of KL(softmax(t / T) || softmax(s / T)).
double definition(const Tensor& s, const Tensor& t, double T) {
  const std::int64_t n = s.size(0), classes = s.size(1);
  double total = 0;
  for (std::int64_t row = 0; row < n; ++row) {
    double ms = -INFINITY, mt = -INFINITY;
    for (std::int64_t k = 0; k < classes; ++k) {
      ms = std::fmax(ms, s.at({row, k}) / T);
      mt = std::fmax(mt, t.at({row, k}) / T);
    }
    double zs = 0, zt = 0;
    for (std::int64_t k = 0; k < classes; ++k) {
      zs += std::exp(s.at({row, k}) / T - ms);
      zt += std::exp(t.at({row, k}) / T - mt);
    }
    for (std::int64_t k = 0; k < classes; ++k) {
      const double log_ps = s.at({row, k}) / T - ms - std::log(zs);
      const double log_pt = t.at({row, k}) / T - mt - std::log(zt);
      total += std::exp(log_pt) * (log_pt - log_ps);
    }
  }
  return T * T * total / static_cast<double>(n);
}

Tensor random_logits(std::int64_t n, std::int64_t classes, double scale, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n * classes));
  for (double& x : v) x = rng.normal(0.0, scale);
  return Tensor::from_values(v, {n, classes});
}

double loss(const Tensor& s, const Tensor& t, double T) { return c::soft_target_loss(Variable(s), t, T).value().item(); }

}  // namespace

TEST(Task_27_1_SoftTargetLoss, TwoClassesWrittenOut) {
  // Teacher (log 3, 0): p_t = (3/4, 1/4). Student (0, 0): p_s = (1/2, 1/2). At T = 1:
  // KL = 3/4 log(3/4 / 1/2) + 1/4 log(1/4 / 1/2) = 3/4 log 1.5 - 1/4 log 2.
  const Tensor t = Tensor::from_values({std::log(3.0), 0.0}, {1, 2});
  const Tensor s = Tensor::zeros({1, 2});
  EXPECT_NEAR(loss(s, t, 1.0), 0.75 * std::log(1.5) - 0.25 * std::log(2.0), 1e-6);
  // At T = 2 the teacher's logits are halved: p_t = softmax(log sqrt 3, 0) = (sqrt3, 1) / (sqrt3 + 1),
  // and the T^2 = 4 in front.
  const double a = std::sqrt(3.0) / (std::sqrt(3.0) + 1), b = 1 - a;
  EXPECT_NEAR(loss(s, t, 2.0), 4 * (a * std::log(2 * a) + b * std::log(2 * b)), 1e-6);
}

TEST(Task_27_1_SoftTargetLoss, MatchesTheDefinitionForManyShapesAndTemperatures) {
  std::uint64_t seed = 1;
  for (const double T : {0.5, 1.0, 2.0, 4.0, 10.0})
    for (const auto& [n, classes] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 2}, {3, 10}, {17, 5}, {64, 10}}) {
      const Tensor s = random_logits(n, classes, 3.0, seed++), t = random_logits(n, classes, 3.0, seed++);
      const double expected = definition(s, t, T);
      EXPECT_NEAR(loss(s, t, T), expected, 1e-5 * (1 + std::fabs(expected))) << "T = " << T << ", " << n << " x " << classes;
    }
}

TEST(Task_27_1_SoftTargetLoss, ZeroWhenTheStudentAgreesAndPositiveOtherwise) {
  const Tensor t = random_logits(8, 10, 2.0, 7);
  EXPECT_NEAR(loss(t, t, 3.0), 0.0, 1e-6);
  // Adding a constant to a row changes no softmax: still zero.
  std::vector<double> shifted = t.to_vector();
  for (std::size_t i = 0; i < shifted.size(); ++i) shifted[i] += static_cast<double>(i / 10) * 5.0 - 12.0;
  EXPECT_NEAR(loss(Tensor::from_values(shifted, {8, 10}), t, 3.0), 0.0, 1e-5);
  EXPECT_GT(loss(random_logits(8, 10, 2.0, 8), t, 3.0), 0.01);
}

TEST(Task_27_1_SoftTargetLoss, IsABatchMeanNotASum) {
  // The same row twice: the mean of two equal divergences is that divergence.
  const Tensor s1 = random_logits(1, 6, 2.0, 11), t1 = random_logits(1, 6, 2.0, 12);
  std::vector<double> s2 = s1.to_vector(), t2 = t1.to_vector();
  s2.insert(s2.end(), s2.begin(), s2.end());
  t2.insert(t2.end(), t2.begin(), t2.end());
  EXPECT_NEAR(loss(Tensor::from_values(s2, {2, 6}), Tensor::from_values(t2, {2, 6}), 2.0), loss(s1, t1, 2.0), 1e-6);
}

TEST(Task_27_1_SoftTargetLoss, LargeLogitsStayFinite) {
  // exp(400) overflows a double: the row maximum must come off before exp. The teacher's second class
  // gets probability exp(-800), which underflows to 0 and adds 0 (0 log 0 = 0).
  const Tensor t = Tensor::from_values({400.0, -400.0, 0.0}, {1, 3});
  const Tensor s = Tensor::from_values({-300.0, 300.0, 0.0}, {1, 3});
  const double value = loss(s, t, 1.0);
  EXPECT_TRUE(std::isfinite(value));
  EXPECT_NEAR(value, definition(s, t, 1.0), 1e-6 * definition(s, t, 1.0));
}

TEST(Task_27_1_SoftTargetLoss, ItsSlopeIsTTimesTheDifferenceOfTheSoftmaxesOverN) {
  // Central differences of the value against the published gradient T (p_s - p_t) / N (written here).
  const double T = 3.0, h = 1e-2;
  const Tensor s = random_logits(4, 5, 2.0, 21), t = random_logits(4, 5, 2.0, 22);
  for (std::int64_t row = 0; row < 4; ++row)
    for (std::int64_t k = 0; k < 5; ++k) {
      Tensor plus = s.clone(), minus = s.clone();
      plus.set({row, k}, s.at({row, k}) + h);
      minus.set({row, k}, s.at({row, k}) - h);
      const double numeric = (loss(plus, t, T) - loss(minus, t, T)) / (2 * h);
      double ms = -INFINITY, mt = -INFINITY, zs = 0, zt = 0;
      for (std::int64_t j = 0; j < 5; ++j) {
        ms = std::fmax(ms, s.at({row, j}) / T);
        mt = std::fmax(mt, t.at({row, j}) / T);
      }
      for (std::int64_t j = 0; j < 5; ++j) {
        zs += std::exp(s.at({row, j}) / T - ms);
        zt += std::exp(t.at({row, j}) / T - mt);
      }
      const double ps = std::exp(s.at({row, k}) / T - ms) / zs, pt = std::exp(t.at({row, k}) / T - mt) / zt;
      EXPECT_NEAR(numeric, T * (ps - pt) / 4.0, 2e-4) << "row " << row << ", class " << k;
    }
}
