// Exercise nn.loss.cross_entropy (lesson 01-what-a-framework-does): cross-entropy by a stable
// log-softmax, and its gradient (lib/nn/src/functional_loss.cpp, cross_entropy_rows and
// cross_entropy_gradient).
//
// Run only this exercise:  nn_exercise_tests --gtest_filter='Task_01_2_CrossEntropy.*'
// For logits z [N, C] and labels y [N]:
//   loss       = mean_n ( m_n + log sum_j exp(z_nj - m_n) - z_n,y_n ),  m_n = max_j z_nj
//   dloss/dz_nj = (softmax(z_n)_j - [j == y_n]) / N
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"
#include "gb/nn/functional.hpp"

namespace ad = gb::autodiff;
using ad::Variable;
using gb::DType;
using gb::Tensor;

namespace {

Tensor labels(const std::vector<double>& v) {
  return Tensor::from_values(v, {static_cast<std::int64_t>(v.size())}, DType::i64);
}

double loss_of(const Tensor& z, const Tensor& y) { return gb::nn::cross_entropy(Variable(z), y).value().item(); }

}  // namespace

TEST(Task_01_2_CrossEntropy, UniformLogitsGiveLogC) {
  // Equal logits: softmax = 1/C for every class, so the loss is -log(1/C) = log C, whatever the label.
  EXPECT_NEAR(loss_of(Tensor::zeros({2, 4}), labels({0, 3})), std::log(4.0), 1e-6);
  EXPECT_NEAR(loss_of(Tensor::full({1, 10}, 7.0), labels({5})), std::log(10.0), 1e-6);
}

TEST(Task_01_2_CrossEntropy, TwoClassesWrittenOut) {
  // Row 0: z = (1, 3), label 1: log(e^1 + e^3) - 3 = log(1 + e^-2).
  // Row 1: z = (2, 0), label 1: log(e^2 + e^0) - 0 = 2 + log(1 + e^-2).
  const Tensor z = Tensor::from_values({1, 3, 2, 0}, {2, 2}, DType::f64);
  const double row0 = std::log1p(std::exp(-2.0)), row1 = 2.0 + std::log1p(std::exp(-2.0));
  EXPECT_NEAR(loss_of(z, labels({1, 1})), (row0 + row1) / 2.0, 1e-12);
}

TEST(Task_01_2_CrossEntropy, HugeLogitsDoNotOverflow) {
  // exp(1000) is inf in double: subtracting the row maximum first keeps every exp() in (0, 1].
  const Tensor z = Tensor::from_values({1000, 999, 998}, {1, 3}, DType::f64);
  const double expected = std::log(1.0 + std::exp(-1.0) + std::exp(-2.0)) + 1.0;  // label 1: 1000 - 999 = 1
  const double got = loss_of(z, labels({1}));
  ASSERT_TRUE(std::isfinite(got));
  EXPECT_NEAR(got, expected, 1e-9);
  const Tensor low = Tensor::from_values({-1000, -1001}, {1, 2});  // f32, very negative: no log(0)
  EXPECT_NEAR(loss_of(low, labels({0})), std::log1p(std::exp(-1.0)), 1e-5);
}

TEST(Task_01_2_CrossEntropy, GradientIsSoftmaxMinusOneHotOverN) {
  const Tensor z0 = Tensor::from_values({0.5, -1.0, 2.0, 0.0, 0.0, 0.0}, {2, 3}, DType::f64);
  const Tensor y = labels({2, 0});
  Variable z(z0, true);
  gb::nn::cross_entropy(z, y).backward();
  const std::vector<double> g = z.grad().value().to_vector();
  // Row 0: softmax of (0.5, -1, 2), minus one-hot(2), over N = 2.
  const double e0 = std::exp(0.5), e1 = std::exp(-1.0), e2 = std::exp(2.0), total = e0 + e1 + e2;
  const std::vector<double> expected = {e0 / total / 2, e1 / total / 2, (e2 / total - 1) / 2,
                                        (1.0 / 3 - 1) / 2, 1.0 / 3 / 2, 1.0 / 3 / 2};
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], expected[i], 1e-12) << "element " << i;
}

TEST(Task_01_2_CrossEntropy, GradientMatchesCentralDifferences) {
  gb::Rng rng(7);
  const Tensor z0 = rng.uniform({4, 5}, -3.0, 3.0, DType::f64);
  const Tensor y = labels({4, 0, 2, 2});
  Variable z(z0, true);
  ad::mul(gb::nn::cross_entropy(z, y), ad::constant(Tensor::scalar(2.5, DType::f64))).backward();  // seed 2.5
  const std::vector<double> g = z.grad().value().to_vector();
  const double h = 1e-6;
  for (std::int64_t i = 0; i < 20; ++i) {
    Tensor up = z0.clone(), down = z0.clone();
    up.set({i / 5, i % 5}, z0.at({i / 5, i % 5}) + h);
    down.set({i / 5, i % 5}, z0.at({i / 5, i % 5}) - h);
    const double numeric = 2.5 * (loss_of(up, y) - loss_of(down, y)) / (2 * h);
    EXPECT_NEAR(g[static_cast<std::size_t>(i)], numeric, 1e-7) << "element " << i;
  }
}

TEST(Task_01_2_CrossEntropy, EveryRowOfTheGradientSumsToZero) {
  // Softmax sums to 1 and the one-hot row sums to 1: moving every logit of a row together does
  // not change the loss, so the row sums of the gradient vanish (f32 here).
  gb::Rng rng(8);
  Variable z(rng.uniform({6, 10}, -5.0, 5.0), true);
  gb::nn::cross_entropy(z, labels({0, 1, 2, 7, 8, 9})).backward();
  const std::vector<double> g = z.grad().value().to_vector();
  for (int row = 0; row < 6; ++row) {
    double sum = 0.0;
    for (int j = 0; j < 10; ++j) sum += g[static_cast<std::size_t>(row * 10 + j)];
    EXPECT_NEAR(sum, 0.0, 1e-7) << "row " << row;
  }
}
