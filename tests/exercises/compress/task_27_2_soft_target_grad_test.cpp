// Exercise compress.distill.soft_target_grad (lesson 27-knowledge-distillation): the gradient of the
// soft-target loss with respect to the student's logits, soft_target_grad in
// lib/compress/src/distill.cpp (soft_target_loss's backward calls it).
//
// With p_s = softmax(s / T) and p_t = softmax(t / T), row by row, of [N, C] logits:
//   L = T^2 / N sum_n KL(p_t || p_s)      =>      dL / ds = T (p_s - p_t) / N
// (Hinton et al. 2015, section 2: the T^2 keeps this gradient the same size whatever T). The tests
// write that formula out, and check it against central differences of L's definition, also written here.
//
// Run only this exercise:  compress_exercise_tests --gtest_filter='Task_27_2_SoftTargetGrad.*'
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gb/compress/distill.hpp"
#include "gb/core/rng.hpp"

namespace c = gb::compress;
using gb::Tensor;

namespace {

// softmax(row / T) of row `row` of z, in double.
std::vector<double> softmax_row(const std::vector<double>& z, std::int64_t row, std::int64_t classes, double T) {
  double max = -INFINITY, sum = 0;
  for (std::int64_t k = 0; k < classes; ++k) max = std::fmax(max, z[static_cast<std::size_t>(row * classes + k)] / T);
  std::vector<double> p(static_cast<std::size_t>(classes));
  for (std::int64_t k = 0; k < classes; ++k) {
    p[static_cast<std::size_t>(k)] = std::exp(z[static_cast<std::size_t>(row * classes + k)] / T - max);
    sum += p[static_cast<std::size_t>(k)];
  }
  for (double& x : p) x /= sum;
  return p;
}

// L's definition in double: T^2 / N sum_n sum_c p_t (log p_t - log p_s).
double definition(const std::vector<double>& s, const std::vector<double>& t, std::int64_t n, std::int64_t classes, double T) {
  double total = 0;
  for (std::int64_t row = 0; row < n; ++row) {
    const std::vector<double> ps = softmax_row(s, row, classes, T), pt = softmax_row(t, row, classes, T);
    for (std::size_t k = 0; k < ps.size(); ++k) total += pt[k] * (std::log(pt[k]) - std::log(ps[k]));
  }
  return T * T * total / static_cast<double>(n);
}

Tensor random_logits(std::int64_t n, std::int64_t classes, double scale, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n * classes));
  for (double& x : v) x = rng.normal(0.0, scale);
  return Tensor::from_values(v, {n, classes});
}

}  // namespace

TEST(Task_27_2_SoftTargetGrad, IsTTimesTheDifferenceOfTheSoftmaxesOverN) {
  std::uint64_t seed = 100;
  for (const double T : {1.0, 2.0, 4.0, 10.0})
    for (const auto& [n, classes] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 3}, {5, 10}, {32, 10}}) {
      const Tensor s = random_logits(n, classes, 3.0, seed++), t = random_logits(n, classes, 3.0, seed++);
      const Tensor g = c::soft_target_grad(s, t, T);
      ASSERT_EQ(g.shape(), s.shape());
      const std::vector<double> sv = s.to_vector(), tv = t.to_vector(), gv = g.to_vector();
      for (std::int64_t row = 0; row < n; ++row) {
        const std::vector<double> ps = softmax_row(sv, row, classes, T), pt = softmax_row(tv, row, classes, T);
        for (std::int64_t k = 0; k < classes; ++k)
          EXPECT_NEAR(gv[static_cast<std::size_t>(row * classes + k)],
                      T * (ps[static_cast<std::size_t>(k)] - pt[static_cast<std::size_t>(k)]) / static_cast<double>(n),
                      1e-6)
              << "T = " << T << ", row " << row << ", class " << k;
      }
    }
}

TEST(Task_27_2_SoftTargetGrad, MatchesCentralDifferencesOfTheDefinition) {
  const std::int64_t n = 3, classes = 6;
  for (const double T : {1.0, 4.0}) {
    const std::vector<double> s = random_logits(n, classes, 2.0, 7).to_vector(), t = random_logits(n, classes, 2.0, 8).to_vector();
    const std::vector<double> g = c::soft_target_grad(Tensor::from_values(s, {n, classes}), Tensor::from_values(t, {n, classes}), T)
                                      .to_vector();
    const double h = 1e-5;
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::vector<double> plus = s, minus = s;
      plus[i] += h;
      minus[i] -= h;
      const double numeric = (definition(plus, t, n, classes, T) - definition(minus, t, n, classes, T)) / (2 * h);
      EXPECT_NEAR(g[i], numeric, 1e-6) << "T = " << T << ", element " << i;
    }
  }
}

TEST(Task_27_2_SoftTargetGrad, EachRowSumsToZeroAndVanishesWhenTheStudentAgrees) {
  // Both softmaxes sum to 1 in every row, so their difference sums to 0: the gradient moves
  // probability between classes, never adds any.
  const Tensor s = random_logits(6, 10, 3.0, 31), t = random_logits(6, 10, 3.0, 32);
  const std::vector<double> g = c::soft_target_grad(s, t, 2.0).to_vector();
  for (std::size_t row = 0; row < 6; ++row) {
    double sum = 0, norm = 0;
    for (std::size_t k = 0; k < 10; ++k) {
      sum += g[row * 10 + k];
      norm += std::fabs(g[row * 10 + k]);
    }
    EXPECT_NEAR(sum, 0.0, 1e-6);
    EXPECT_GT(norm, 1e-3);
  }
  for (double x : c::soft_target_grad(t, t, 2.0).to_vector()) EXPECT_NEAR(x, 0.0, 1e-7);
}

TEST(Task_27_2_SoftTargetGrad, LargeLogitsGiveAFiniteGradient) {
  // At T = 1 these rows are one-hot: p_s = (0, 1, 0), p_t = (1, 0, 0), so the gradient is T (p_s - p_t) / 1.
  const Tensor s = Tensor::from_values({-300.0, 300.0, 0.0}, {1, 3});
  const Tensor t = Tensor::from_values({400.0, -400.0, 0.0}, {1, 3});
  const std::vector<double> g = c::soft_target_grad(s, t, 1.0).to_vector();
  EXPECT_NEAR(g[0], -1.0, 1e-6);
  EXPECT_NEAR(g[1], 1.0, 1e-6);
  EXPECT_NEAR(g[2], 0.0, 1e-6);
}
