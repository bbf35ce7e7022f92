// ptq_test.cpp: BatchNorm folding, the fake-quant model, calibration, the integer model (static,
// dynamic, mixed with float layers) and layer sensitivity (ptq.hpp, fold.hpp), on the digits models
// with random weights and random images (fast: the trained models are checked in tests/training).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/kernels/pool.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/models.hpp"
#include "gb/quant/ptq.hpp"
#include "random_digits.hpp"

namespace ad = gb::autodiff;
namespace nn = gb::nn;
namespace q = gb::quant;
using ad::Variable;
using gb::DType;
using gb::Tensor;

namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  EXPECT_EQ(x.size(), y.size());
  double m = 0;
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

using gb::quant_test::random_digits;

// A CNN whose BatchNorm running statistics are not the trivial (0, 1): a few training-mode passes.
std::shared_ptr<nn::Sequential> warmed_cnn(std::uint64_t seed) {
  auto model = nn::digits_cnn(seed);
  const nn::Dataset d = random_digits(64, seed + 10);
  ad::NoGradGuard no_tape;
  model->train();
  for (int i = 0; i < 5; ++i) (*model)(Variable(d.images));
  model->eval();
  return model;
}

Tensor eval_logits(nn::Module& m, const Tensor& images) {
  ad::NoGradGuard no_tape;
  m.eval();
  return (m)(Variable(images)).value();
}

}  // namespace

// --- folding -------------------------------------------------------------------------------------------------

TEST(FoldBatchNorm, FoldedConvEqualsConvThenBatchNormInEval) {
  gb::Rng rng(3);
  nn::Conv2d conv(3, 5, 3, rng, gb::kernels::Conv2dParams::square(1, 1));
  nn::BatchNorm bn(5, /*spatial=*/true);
  Tensor(bn.weight.value()).copy_from(rng.uniform({5}, 0.5, 2.0));
  Tensor(bn.bias.value()).copy_from(rng.uniform({5}, -1.0, 1.0));
  q::running_mean(bn).copy_from(rng.uniform({5}, -0.5, 0.5));
  q::running_var(bn).copy_from(rng.uniform({5}, 0.1, 3.0));
  bn.eval();
  const Tensor x = rng.uniform({2, 3, 6, 6}, -1, 1);
  const Tensor reference = eval_logits(bn, conv(Variable(x)).value());
  const q::FoldedConv f = q::fold_batch_norm(conv, bn);
  const Tensor folded = gb::kernels::conv2d(x, f.weight, f.bias, conv.params);
  EXPECT_LT(max_abs_diff(folded, reference), 1e-5);
  // The autodiff fold gives the same values.
  const q::FoldedVariables v = q::fold_batch_norm_variables(conv, bn);
  EXPECT_LT(max_abs_diff(v.weight.value(), f.weight), 1e-6);
  EXPECT_LT(max_abs_diff(v.bias.value(), f.bias), 1e-6);
}

TEST(FoldBatchNorm, GradientsReachWeightsGammaAndBeta) {
  gb::Rng rng(4);
  nn::Conv2d conv(1, 2, 3, rng);
  nn::BatchNorm bn(2, true);
  q::running_var(bn).copy_from(Tensor::from_values({4.0, 0.25}, {2}));
  const q::FoldedVariables v = q::fold_batch_norm_variables(conv, bn);
  ad::sum(ad::add(ad::sum(v.weight), ad::sum(v.bias))).backward();
  // d/dW sum(W') = gamma / sqrt(var + eps); d/dbeta sum(b') = 1.
  EXPECT_NEAR(conv.weight.grad().value().at({0, 0, 0, 0}), 1.0 / std::sqrt(4.0 + 1e-5), 1e-6);
  EXPECT_NEAR(conv.weight.grad().value().at({1, 0, 2, 2}), 1.0 / std::sqrt(0.25 + 1e-5), 1e-5);
  EXPECT_EQ(bn.bias.grad().value().to_vector(), (std::vector<double>{1, 1}));
  ASSERT_TRUE(bn.weight.grad().defined());
}

TEST(FoldBatchNorm, BadShapesAreErrors) {
  const Tensor w = Tensor::ones({2, 1, 3, 3});
  const Tensor two = Tensor::ones({2}), three = Tensor::ones({3});
  EXPECT_THROW(q::fold_batch_norm(w, Tensor(), three, two, two, two, 1e-5), gb::Error);
  EXPECT_THROW(q::fold_batch_norm(w, Tensor(), two, two, two, Tensor::from_values({-1.0, 1.0}, {2}), 0.0), gb::Error);
  EXPECT_THROW(q::fold_batch_norm(Tensor(), Tensor(), two, two, two, two, 1e-5), gb::Error);
}

// --- the fake-quant model ----------------------------------------------------------------------------------

TEST(QuantModel, PreparesStagesAndEqualsTheFloatModelWithFakeQuantOff) {
  auto cnn = warmed_cnn(1);
  auto model = q::prepare_quant_model(*cnn);
  std::vector<std::string> labels;
  for (const auto& s : model->stages()) labels.push_back(s->label);
  EXPECT_EQ(labels, (std::vector<std::string>{"conv1", "conv2", "fc"}));
  EXPECT_TRUE(model->stages()[0]->bn && model->stages()[0]->relu);
  EXPECT_FALSE(model->stages()[2]->relu);
  model->enable_fake_quant(false);
  const Tensor images = random_digits(16, 2).images;
  EXPECT_LT(max_abs_diff(eval_logits(*model, images), eval_logits(*cnn, images)), 1e-4);
  // A copy: changing it leaves the float model alone.
  Tensor(model->stages()[0]->conv->weight.value()).copy_from(Tensor::zeros({16, 1, 3, 3}));
  EXPECT_NE(cnn->named_parameters()[0].second.value().to_vector()[0], 0.0);

  auto mlp = q::prepare_quant_model(*nn::digits_mlp(0));
  labels.clear();
  for (const auto& s : mlp->stages()) labels.push_back(s->label);
  EXPECT_EQ(labels, (std::vector<std::string>{"fc1", "fc2", "fc3"}));
}

TEST(QuantModel, UnsupportedLayersAreErrorsNamingTheLayer) {
  nn::Sequential s({std::make_shared<nn::Flatten>(), std::make_shared<nn::Sigmoid>()});
  try {
    q::prepare_quant_model(s);
    FAIL() << "Sigmoid has no integer kernel here";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("Sigmoid"), std::string::npos) << e.what();
  }
}

TEST(QuantModel, CalibrationObservesEveryActivationAndTurnsFakeQuantOn) {
  auto model = q::prepare_quant_model(*warmed_cnn(2));
  const nn::Dataset data = random_digits(64, 3);
  EXPECT_THROW(q::export_int8(*model), gb::Error) << "nothing observed yet";
  EXPECT_THROW(q::calibrate_model(*model, data, q::Calibrator::minmax, 0), gb::Error);
  q::calibrate_model(*model, data, q::Calibrator::minmax, 2, 16);
  for (const auto& fq : model->activation_quantizers()) {
    ASSERT_TRUE(fq->has_range());
    EXPECT_EQ(fq->observer().batches(), 2);
    EXPECT_TRUE(fq->fake_quant_enabled());
  }
  // After a ReLU the range starts at 0: Z = 0. The input images lie in [0, 1]: S = 1/255.
  EXPECT_EQ(model->stages()[0]->output->qparams().zero_point[0], 0);
  EXPECT_NEAR(model->input->qparams().scale[0], 1.0 / 255, 1e-9);
}

// --- the integer model ---------------------------------------------------------------------------------------

TEST(Int8Model, LogitsAgreeWithTheFakeQuantModelWithinAFewSteps) {
  for (const std::string name : {"cnn", "mlp"}) {
    auto float_model = name == "cnn" ? warmed_cnn(5) : nn::digits_mlp(5);
    auto model = q::prepare_quant_model(*float_model);
    q::calibrate_model(*model, random_digits(64, 6), q::Calibrator::minmax, 4, 16);
    const q::Int8Model int8 = q::export_int8(*model);
    EXPECT_EQ(int8.integer_layers(), 3);
    const Tensor images = random_digits(32, 7).images;
    const Tensor simulated = eval_logits(*model, images), integer = int8.forward(images);
    const double step = model->stages().back()->output->qparams().scale[0];
    // The integer model rounds its int32 bias and its fixed-point multipliers; the float model does
    // not: a code may differ by one here and there, and the difference travels through the layers.
    const double worst = max_abs_diff(simulated, integer);
    EXPECT_LE(worst, 4 * step) << name << ": " << worst / step << " steps";
    const std::vector<double> a = simulated.to_vector(), b = integer.to_vector();
    double mean = 0;
    for (std::size_t i = 0; i < a.size(); ++i) mean += std::fabs(a[i] - b[i]) / static_cast<double>(a.size());
    EXPECT_LE(mean, 0.5 * step) << name;
    // And both stay close to the float model (a sanity bound, not the accuracy claim).
    EXPECT_LT(max_abs_diff(eval_logits(*float_model, images), integer), 0.25) << name;
  }
}

TEST(Int8Model, AllLayersFloatIsTheFloatModel) {
  auto cnn = warmed_cnn(8);
  auto model = q::prepare_quant_model(*cnn);
  q::calibrate_model(*model, random_digits(32, 9), q::Calibrator::minmax, 1);
  const q::Int8Model all_float = q::export_int8(*model, {"conv1", "conv2", "fc"});
  EXPECT_EQ(all_float.integer_layers(), 0);
  const Tensor images = random_digits(8, 10).images;
  EXPECT_LT(max_abs_diff(all_float.forward(images), eval_logits(*cnn, images)), 1e-4);
  EXPECT_THROW(q::export_int8(*model, {"conv7"}), gb::Error);
  const q::Int8Model mixed = q::export_int8(*model, {"conv2"});
  EXPECT_EQ(mixed.integer_layers(), 2);
  EXPECT_NE(mixed.str().find("conv2 + relu (float)"), std::string::npos) << mixed.str();
}

TEST(Int8Model, DynamicQuantizationStaysCloseToFloat) {
  auto cnn = warmed_cnn(11);
  const q::Int8Model dynamic = q::dynamic_int8(*cnn);
  EXPECT_TRUE(dynamic.dynamic);
  const Tensor images = random_digits(16, 12).images;
  const Tensor reference = eval_logits(*cnn, images);
  double range = 0;
  for (double v : reference.to_vector()) range = std::max(range, std::fabs(v));
  EXPECT_LT(max_abs_diff(dynamic.forward(images), reference), 0.05 * range + 1e-3);
  EXPECT_THROW(dynamic.forward(Tensor::ones({2, 1, 8, 8}, DType::f64)), gb::Error);
}

TEST(Int8Model, MaxPoolOnCodesIsMaxPoolOnValues) {
  gb::Rng rng(13);
  const Tensor x = rng.uniform({2, 3, 6, 6}, 0, 4);
  const q::QParams p = gb::quant::per_tensor_qparams(x, DType::u8);
  const q::QTensor codes = q::quantize_tensor(x, p);
  for (const auto& pool : {gb::kernels::Pool2dParams::square(2), gb::kernels::Pool2dParams::square(3, 2, 1)}) {
    const q::QTensor pooled = q::max_pool2d_codes(codes, pool);
    const Tensor reference = gb::kernels::max_pool2d(codes.dequantize(), pool);
    EXPECT_EQ(pooled.dequantize().to_vector(), reference.to_vector());
  }
  EXPECT_THROW(q::max_pool2d_codes(q::QTensor{Tensor::zeros({2, 2}, DType::u8), p}, gb::kernels::Pool2dParams::square(2)),
               gb::Error);
}

TEST(Int8Model, Im2colOfCodesPadsWithTheZeroPoint) {
  const Tensor x = Tensor::from_values({1, 2, 3, 4}, {1, 1, 2, 2}, DType::u8);
  const auto s = gb::kernels::conv_shape(x.shape(), {1, 1, 3, 3}, gb::kernels::Conv2dParams::square(1, 1));
  const Tensor col = q::im2col_u8(x, s, 7);
  ASSERT_EQ(col.shape(), (gb::Shape{4, 9}));
  // Output pixel (0, 0): the 3x3 window centred on input (0, 0).
  EXPECT_EQ(col.select(0, 0).to_vector(), (std::vector<double>{7, 7, 7, 7, 1, 2, 7, 3, 4}));
  EXPECT_EQ(col.select(0, 3).to_vector(), (std::vector<double>{1, 2, 7, 3, 4, 7, 7, 7, 7}));
}

TEST(Sensitivity, OneRowPerLayerAndTheMostSensitiveFirst) {
  auto float_model = warmed_cnn(14);
  auto model = q::prepare_quant_model(*float_model);
  const nn::Dataset data = random_digits(48, 15);
  q::calibrate_model(*model, data, q::Calibrator::minmax, 2, 16);
  const Tensor fp32_logits = eval_logits(*float_model, data.images);
  const std::vector<q::LayerSensitivity> s = q::layer_sensitivity(*model, data, fp32_logits);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].label, "conv1");
  const double fp32 = q::compare_logits(fp32_logits, fp32_logits, data.labels).accuracy;
  for (const auto& row : s) {
    EXPECT_NEAR(row.drop, (fp32 - row.accuracy) * 100, 1e-9);
    EXPECT_GT(row.logit_rms, 0.0) << row.label << ": an integer layer adds some noise";
  }
  const std::vector<q::LayerSensitivity> made = {{"a", 0.9, 1.0, 0.5}, {"b", 0.8, 2.0, 0.1}, {"c", 0.8, 2.0, 0.3}};
  EXPECT_EQ(q::most_sensitive(made, 1), (std::set<std::string>{"c"}));  // equal drops: the larger logit error
  EXPECT_EQ(q::most_sensitive(made, 2), (std::set<std::string>{"b", "c"}));
  EXPECT_EQ(q::most_sensitive(made, 0), (std::set<std::string>{}));
  EXPECT_THROW(q::most_sensitive(made, -1), gb::Error);
}

TEST(Sensitivity, CompareLogitsCountsAgreementAndRms) {
  const Tensor a = Tensor::from_values({1, 0, 0, 1, 2, 0}, {3, 2}), b = Tensor::from_values({1, 0, 1, 0, 2, 2}, {3, 2});
  const Tensor labels = Tensor::from_values({0, 1, 1}, {3}, DType::i64);
  const q::LogitComparison c = q::compare_logits(a, b, labels);
  EXPECT_NEAR(c.accuracy, 2.0 / 3, 1e-12);   // a predicts 0, 1, 0
  EXPECT_NEAR(c.agreement, 2.0 / 3, 1e-12);  // b predicts 0, 0, 0 (ties go to the first class)
  EXPECT_NEAR(c.logit_rms, std::sqrt((1.0 + 1.0 + 4.0) / 6), 1e-12);
  EXPECT_THROW(q::compare_logits(a, Tensor::zeros({2, 2}), labels), gb::Error);
  EXPECT_THROW(q::compare_logits(a, b, Tensor::zeros({2}, DType::i64)), gb::Error);
}
