// losses_test.cpp: mse_loss, cross_entropy and kl_div against their formulas written out here (in
// double), gradients against central differences, and the inputs each one refuses.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gb/nn/functional.hpp"
#include "layer_test_helpers.hpp"

using namespace gb_nn_test;
namespace nn = gb::nn;
using gb::DType;

namespace {

Tensor labels_of(const std::vector<double>& values) {
  return Tensor::from_values(values, {static_cast<std::int64_t>(values.size())}, DType::i64);
}

// mean_n [log(sum_j exp(z_nj)) - z_n,label], with log-sum-exp taken about the row maximum.
double cross_entropy_formula(const Tensor& logits, const Tensor& labels) {
  const std::int64_t n = logits.size(0), c = logits.size(1);
  double total = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    double m = -std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < c; ++j) m = std::max(m, logits.at({i, j}));
    double sum = 0.0;
    for (std::int64_t j = 0; j < c; ++j) sum += std::exp(logits.at({i, j}) - m);
    total += m + std::log(sum) - logits.at({i, static_cast<std::int64_t>(labels.at({i}))});
  }
  return total / static_cast<double>(n);
}

}  // namespace

TEST(MseLoss, IsTheMeanSquaredErrorWithGradient2ErrorOverN) {
  gb::Rng rng(1);
  const Tensor p = random(rng, {4, 3}, DType::f64), t = random(rng, {4, 3}, DType::f64);
  double expected = 0.0;
  for (std::int64_t i = 0; i < 12; ++i) expected += std::pow(p.to_vector()[static_cast<std::size_t>(i)] - t.to_vector()[static_cast<std::size_t>(i)], 2);
  Variable pv(p, true), tv(t, true);
  Variable loss = nn::mse_loss(pv, tv);
  EXPECT_NEAR(loss.value().item(), expected / 12.0, 1e-14);
  loss.backward();
  for (std::size_t i = 0; i < 12; ++i) {
    const double two_error_over_n = 2.0 * (p.to_vector()[i] - t.to_vector()[i]) / 12.0;
    EXPECT_NEAR(pv.grad().value().to_vector()[i], two_error_over_n, 1e-14);
    EXPECT_NEAR(tv.grad().value().to_vector()[i], -two_error_over_n, 1e-14);
  }
  EXPECT_ERROR(nn::mse_loss(pv, Variable(random(rng, {3, 4}, DType::f64))), "mse_loss", "same shape", "[4, 3]", "[3, 4]");
  EXPECT_ERROR(nn::mse_loss(pv, Variable(random(rng, {4, 3}))), "mse_loss", "same dtype");
  EXPECT_ERROR(nn::mse_loss(Variable(Tensor::zeros({0})), Variable(Tensor::zeros({0}))), "mse_loss", "non-empty");
}

TEST(CrossEntropy, EqualsLogSumExpMinusTheLabelsLogit) {
  gb::Rng rng(2);
  for (DType dtype : {DType::f64, DType::f32}) {
    const Tensor z = random(rng, {7, 5}, dtype, 4.0);
    const Tensor y = labels_of({0, 4, 2, 2, 1, 3, 0});
    EXPECT_NEAR(nn::cross_entropy(Variable(z), y).value().item(), cross_entropy_formula(z, y), 1e-6);
    EXPECT_EQ(nn::cross_entropy(Variable(z), y).dtype(), dtype);
  }
}

TEST(CrossEntropy, IsStableForHugeLogits) {
  // exp(1000) overflows a double: only the shifted log-sum-exp gives the finite answer.
  const Tensor z = Tensor::from_values({1000, 0, -1000, -500, 500, 499}, {2, 3});
  Variable zv(z, true);
  Variable loss = nn::cross_entropy(zv, labels_of({0, 2}));
  EXPECT_NEAR(loss.value().item(), (0.0 + (1.0 + std::log1p(std::exp(-1.0)))) / 2.0, 1e-5);
  loss.backward();
  for (double g : zv.grad().value().to_vector()) EXPECT_TRUE(std::isfinite(g));
}

TEST(CrossEntropy, GradientIsSoftmaxMinusOneHotOverN) {
  gb::Rng rng(3);
  const Tensor y = labels_of({1, 0, 3});
  ScalarFunction f = [&](const std::vector<Variable>& v) { return nn::cross_entropy(v[0], y); };
  expect_gradients_match(f, {random(rng, {3, 4}, DType::f64, 3.0)}, 1e-6, 1e-9, 1e-6, "cross_entropy f64");
  expect_gradients_match(f, {random(rng, {3, 4}, DType::f32, 3.0)}, 1e-2, 1e-4, 1e-2, "cross_entropy f32");
  // The gradient scales with the seed (backward of 3 * loss).
  Variable z(random(rng, {3, 4}, DType::f64), true);
  ad::mul(nn::cross_entropy(z, y), ad::constant(Tensor::scalar(3.0, DType::f64))).backward();
  const auto single = analytic_gradients(f, {z.value()})[0];
  for (std::size_t i = 0; i < single.size(); ++i) EXPECT_NEAR(z.grad().value().to_vector()[i], 3 * single[i], 1e-12);
}

TEST(CrossEntropy, SecondDerivativesEqualTheLogSoftmaxComposite) {
  gb::Rng rng(4);
  const Tensor z0 = random(rng, {3, 4}, DType::f64), y = labels_of({2, 0, 1});
  Tensor one_hot = Tensor::zeros({3, 4}, DType::f64);
  for (std::int64_t i = 0; i < 3; ++i) one_hot.set({i, static_cast<std::int64_t>(y.at({i}))}, 1.0);
  auto second = [&](bool composite) {
    Variable z(z0.clone(), true);
    Variable loss = composite ? ad::neg(ad::div(ad::sum(ad::mul(ad::log_softmax(z, 1), ad::constant(one_hot))),
                                                ad::scalar_like(z, 3.0)))
                              : nn::cross_entropy(z, y);
    Variable g = ad::grad(loss, {z}, Tensor(), {true, true})[0];
    return ad::grad(ad::sum(ad::mul(g, g)), {z})[0].value().to_vector();
  };
  expect_close(second(false), second(true), 1e-12, 1e-9, "d/dz |dL/dz|^2");
}

TEST(CrossEntropy, BadInputsNameWhatWasExpected) {
  const Variable z(Tensor::zeros({3, 4}));
  EXPECT_ERROR(nn::cross_entropy(z, labels_of({0, 4, 1})), "cross_entropy", "[0, 4)", "4 at row 1");
  EXPECT_ERROR(nn::cross_entropy(z, labels_of({0, -1, 1})), "cross_entropy", "[0, 4)", "-1");
  EXPECT_ERROR(nn::cross_entropy(z, Tensor::from_values({0, 1, 1}, {3}, DType::i32)), "cross_entropy", "i64", "i32");
  EXPECT_ERROR(nn::cross_entropy(z, labels_of({0, 1})), "cross_entropy", "[3]", "[2]");
  EXPECT_ERROR(nn::cross_entropy(Variable(Tensor::zeros({4})), labels_of({0})), "cross_entropy", "[N, C]", "[4]");
  EXPECT_ERROR(nn::cross_entropy(Variable(Tensor::zeros({0, 4})), labels_of({})), "cross_entropy", "N, C >= 1");
  EXPECT_ERROR(nn::cross_entropy(Variable(Tensor::zeros({3, 4}, DType::i64)), labels_of({0, 1, 1})), "cross_entropy",
               "f32 or f64", "i64");
}

TEST(KlDiv, IsBatchmeanOfPTimesLogPMinusLogQWithZeroLogZeroZero) {
  // torch.nn.functional.kl_div(log_q, p, reduction="batchmean") = sum p (log p - log_q) / N.
  const Tensor log_q = Tensor::from_values({std::log(0.5), std::log(0.25), std::log(0.25), std::log(0.1), std::log(0.2),
                                            std::log(0.7)},
                                           {2, 3}, DType::f64);
  const Tensor p = Tensor::from_values({0.2, 0.8, 0.0, 0.3, 0.3, 0.4}, {2, 3}, DType::f64);
  double expected = 0.0;
  for (std::size_t i = 0; i < 6; ++i) {
    const double pi = p.to_vector()[i];
    if (pi > 0) expected += pi * (std::log(pi) - log_q.to_vector()[i]);
  }
  Variable lq(log_q, true), pv(p, true);
  Variable loss = nn::kl_div(lq, pv);
  EXPECT_NEAR(loss.value().item(), expected / 2.0, 1e-14);
  loss.backward();
  for (std::size_t i = 0; i < 6; ++i) {
    const double pi = p.to_vector()[i];
    EXPECT_NEAR(lq.grad().value().to_vector()[i], -pi / 2.0, 1e-14);  // d/dlog_q = -p / N
    const double dp = pi > 0 ? (std::log(pi) + 1.0 - log_q.to_vector()[i]) / 2.0 : -log_q.to_vector()[i] / 2.0;
    EXPECT_NEAR(pv.grad().value().to_vector()[i], dp, 1e-14) << i;  // at p = 0 the p log p term adds 0
  }
}

TEST(KlDiv, GradientsMatchCentralDifferencesAndBadInputsAreRefused) {
  gb::Rng rng(5);
  ScalarFunction f = [](const std::vector<Variable>& v) { return nn::kl_div(v[0], v[1]); };
  expect_gradients_match(f, {random(rng, {3, 4}, DType::f64), rng.uniform({3, 4}, 0.1, 1.0, DType::f64)}, 1e-6, 1e-9, 1e-6,
                         "kl_div");
  EXPECT_ERROR(nn::kl_div(Variable(Tensor::zeros({3, 4})), Variable(Tensor::zeros({4, 3}))), "kl_div", "same shape");
  EXPECT_ERROR(nn::kl_div(Variable(Tensor::zeros({3, 4})), Variable(Tensor::zeros({3, 4}, DType::f64))), "kl_div",
               "same dtype");
  EXPECT_ERROR(nn::kl_div(Variable(Tensor::scalar(1.0)), Variable(Tensor::scalar(1.0))), "kl_div", "batch axis");
}

TEST(KlDiv, SecondDerivativesEqualTheCompositeWherePIsPositive) {
  // Where p > 0, p log p can be written with mul and log; the Hessians through kl_div must agree.
  gb::Rng rng(6);
  const Tensor lq0 = random(rng, {2, 3}, DType::f64), p0 = rng.uniform({2, 3}, 0.1, 1.0, DType::f64);
  auto second = [&](bool composite) {
    Variable lq(lq0.clone(), true), p(p0.clone(), true);
    Variable loss = composite ? ad::div(ad::sum(ad::sub(ad::mul(p, ad::log(p)), ad::mul(p, lq))), ad::scalar_like(p, 2.0))
                              : nn::kl_div(lq, p);
    std::vector<Variable> g = ad::grad(loss, {lq, p}, Tensor(), {true, true});
    Variable norm = ad::add(ad::sum(ad::mul(g[0], g[0])), ad::sum(ad::mul(g[1], g[1])));
    std::vector<double> out;
    for (const Variable& h : ad::grad(norm, {lq, p}))
      for (double v : h.value().to_vector()) out.push_back(v);
    return out;
  };
  expect_close(second(false), second(true), 1e-12, 1e-9, "d/d(log_q, p) |grad|^2");
}
