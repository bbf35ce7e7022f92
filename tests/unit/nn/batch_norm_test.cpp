// batch_norm_test.cpp: gb::nn::batch_norm in training and evaluation mode: the normalisation and the
// running statistics against the formulas written out here, gradients against central differences.
#include <gtest/gtest.h>

#include <cmath>

#include "gb/nn/functional.hpp"
#include "layer_test_helpers.hpp"

using namespace gb_nn_test;
namespace nn = gb::nn;
using gb::DType;

namespace {

// Per-channel mean and biased variance of x [N, C, ...], in double, by the textbook loops.
void channel_statistics(const Tensor& x, std::vector<double>& mean, std::vector<double>& var) {
  const std::int64_t n = x.size(0), c = x.size(1), s = x.numel() / (n * c);
  const std::vector<double> v = x.contiguous().to_vector();
  mean.assign(static_cast<std::size_t>(c), 0.0);
  var.assign(static_cast<std::size_t>(c), 0.0);
  for (std::int64_t ch = 0; ch < c; ++ch) {
    auto k = static_cast<std::size_t>(ch);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < s; ++j) mean[k] += v[static_cast<std::size_t>((i * c + ch) * s + j)];
    mean[k] /= static_cast<double>(n * s);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < s; ++j) var[k] += std::pow(v[static_cast<std::size_t>((i * c + ch) * s + j)] - mean[k], 2);
    var[k] /= static_cast<double>(n * s);
  }
}

// (x - mean) / sqrt(var + eps) * gamma + beta, channel on axis 1.
std::vector<double> normalised(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& var,
                               const Tensor& gamma, const Tensor& beta, double eps) {
  const std::int64_t n = x.size(0), c = x.size(1), s = x.numel() / (n * c);
  const std::vector<double> v = x.contiguous().to_vector();
  std::vector<double> y(v.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t j = 0; j < s; ++j) {
        const auto at = static_cast<std::size_t>((i * c + ch) * s + j);
        const auto k = static_cast<std::size_t>(ch);
        y[at] = (v[at] - mean[k]) / std::sqrt(var[k] + eps) * gamma.at({ch}) + beta.at({ch});
      }
  return y;
}

}  // namespace

TEST(BatchNormFunctional, TrainingUsesTheBatchAndUpdatesTheRunningStatistics) {
  gb::Rng rng(1);
  for (const Shape& shape : {Shape{8, 3}, Shape{4, 3, 5}, Shape{2, 3, 4, 5}}) {
    for (DType dtype : {DType::f64, DType::f32}) {
      const Tensor x = random(rng, shape, dtype, 3.0), gamma = random(rng, {3}, dtype), beta = random(rng, {3}, dtype);
      Tensor running_mean = random(rng, {3}, dtype), running_var = rng.uniform({3}, 0.5, 2.0, dtype);
      const std::vector<double> mean0 = running_mean.to_vector(), var0 = running_var.to_vector();
      std::vector<double> mean, var;
      channel_statistics(x, mean, var);
      Variable y = nn::batch_norm(Variable(x), running_mean, running_var, Variable(gamma), Variable(beta), true, 0.1, 1e-5);
      const double tol = dtype == DType::f64 ? 1e-12 : 2e-5;
      expect_close(y.value().to_vector(), normalised(x, mean, var, gamma, beta, 1e-5), tol, tol, "y " + gb::shape_str(shape));
      const double m = static_cast<double>(x.numel() / 3);
      for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_NEAR(running_mean.to_vector()[k], 0.9 * mean0[k] + 0.1 * mean[k], tol);
        EXPECT_NEAR(running_var.to_vector()[k], 0.9 * var0[k] + 0.1 * var[k] * m / (m - 1), tol);  // unbiased
      }
    }
  }
}

TEST(BatchNormFunctional, EvalUsesTheRunningStatisticsAndChangesNothing) {
  gb::Rng rng(2);
  const Tensor x = random(rng, {5, 4, 3, 3}, DType::f64), gamma = random(rng, {4}, DType::f64), beta = random(rng, {4}, DType::f64);
  Tensor running_mean = random(rng, {4}, DType::f64), running_var = rng.uniform({4}, 0.5, 2.0, DType::f64);
  const std::vector<double> mean = running_mean.to_vector(), var = running_var.to_vector();
  Variable y = nn::batch_norm(Variable(x), running_mean, running_var, Variable(gamma), Variable(beta), false, 0.1, 1e-3);
  expect_close(y.value().to_vector(), normalised(x, mean, var, gamma, beta, 1e-3), 1e-12, 1e-12, "y");
  EXPECT_EQ(running_mean.to_vector(), mean);
  EXPECT_EQ(running_var.to_vector(), var);
}

TEST(BatchNormFunctional, WithoutAffineParametersAndWithoutRunningStatistics) {
  gb::Rng rng(3);
  const Tensor x = random(rng, {6, 2}, DType::f64);
  Tensor none;
  Variable y = nn::batch_norm(Variable(x), none, none, Variable(), Variable(), true);
  std::vector<double> mean, var;
  channel_statistics(x, mean, var);
  expect_close(y.value().to_vector(), normalised(x, mean, var, Tensor::ones({2}), Tensor::zeros({2}), 1e-5), 1e-12, 1e-12, "y");
  EXPECT_FALSE(none.defined());
}

TEST(BatchNormFunctional, GradientsMatchCentralDifferencesInBothModes) {
  gb::Rng rng(4);
  for (const Shape& shape : {Shape{6, 3}, Shape{3, 3, 4}, Shape{2, 3, 3, 2}}) {
    for (bool training : {true, false}) {
      const Tensor seed = random(rng, shape, DType::f64);
      Tensor running_mean = random(rng, {3}, DType::f64), running_var = rng.uniform({3}, 0.5, 2.0, DType::f64);
      ScalarFunction f = [&](const std::vector<Variable>& v) {
        Tensor rm = running_mean.clone(), rv = running_var.clone();  // each evaluation from the same state
        return weighted_sum(nn::batch_norm(v[0], rm, rv, v[1], v[2], training, 0.1, 1e-5), seed);
      };
      expect_gradients_match(f, {random(rng, shape, DType::f64, 2.0), random(rng, {3}, DType::f64), random(rng, {3}, DType::f64)},
                             1e-6, 1e-7, 1e-6, gb::shape_str(shape) + (training ? " training" : " eval"));
    }
  }
}

TEST(BatchNormFunctional, F32GradientsAgreeWithF64) {
  gb::Rng rng(5);
  const Tensor x = random(rng, {8, 4, 3, 3}, DType::f64), gamma = random(rng, {4}, DType::f64), beta = random(rng, {4}, DType::f64);
  const Tensor seed = random(rng, x.shape(), DType::f64);
  auto gradients = [&](DType dtype) {
    Tensor rm = Tensor::zeros({4}, dtype), rv = Tensor::ones({4}, dtype);
    Variable xv(x.to(dtype), true), gv(gamma.to(dtype), true), bv(beta.to(dtype), true);
    weighted_sum(nn::batch_norm(xv, rm, rv, gv, bv, true), seed.to(dtype)).backward();
    std::vector<double> all = xv.grad().value().to_vector();
    for (const Variable& p : {gv, bv})
      for (double v : p.grad().value().to_vector()) all.push_back(v);
    return all;
  };
  expect_close(gradients(DType::f32), gradients(DType::f64), 1e-4, 1e-4, "f32 vs f64");
}

TEST(BatchNormFunctional, BadInputsNameWhatWasExpected) {
  gb::Rng rng(6);
  Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3}), none;
  const Variable g(Tensor::ones({3})), b(Tensor::zeros({3}));
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {4, 2})), rm, rv, g, b, true), "batch_norm", "running_mean", "[3]", "[2]");
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {4})), rm, rv, g, b, true), "batch_norm", "[N, C]");
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {1, 3})), rm, rv, g, b, true), "batch_norm", "more than 1 value per channel");
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {4, 3})), none, none, g, b, false), "batch_norm", "eval");
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {4, 3}, DType::f64)), rm, rv, g, b, true), "batch_norm", "f64");
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {4, 3})), rm, rv, Variable(Tensor::ones({4})), b, true), "batch_norm", "weight");
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {4, 3})), rm, rv, g, b, true, 1.5), "batch_norm", "momentum");
  EXPECT_ERROR(nn::batch_norm(Variable(random(rng, {4, 3})), rm, rv, g, b, true, 0.1, 0.0), "batch_norm", "eps");
  EXPECT_ERROR(nn::batch_norm(Variable(Tensor::zeros({4, 3}, DType::i64)), rm, rv, g, b, true), "batch_norm", "f32 or f64");
  Variable x(random(rng, {4, 3}), true);
  Variable y = nn::batch_norm(x, rm, rv, g, b, true);
  EXPECT_ERROR(ad::grad(ad::sum(ad::mul(y, y)), {x}, Tensor(), {true, true}), "batch_norm backward", "create_graph");
}
