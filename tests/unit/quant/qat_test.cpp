// qat_test.cpp: quantization-aware training on a few batches (qat.hpp): gradients reach every weight
// through the straight-through estimator, the observers follow the activations in training and freeze
// in eval, the fine-tuned model exports; the report's formatting and the recordings of lesson 25.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <sstream>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/models.hpp"
#include "gb/quant/qat.hpp"
#include "gb/trace/replay.hpp"
#include "random_digits.hpp"

namespace ad = gb::autodiff;
namespace nn = gb::nn;
namespace q = gb::quant;
using ad::Variable;
using gb::DType;
using gb::Tensor;

namespace {

using gb::quant_test::random_digits;

std::shared_ptr<q::QuantModel> calibrated_cnn(std::uint64_t seed) {
  auto model = q::prepare_quant_model(*nn::digits_cnn(seed));
  q::calibrate_model(*model, random_digits(64, seed + 1), q::Calibrator::moving_average, 2, 16);
  return model;
}

}  // namespace

TEST(Qat, TheLossGradientReachesEveryWeightThroughFakeQuant) {
  auto model = calibrated_cnn(1);
  model->train();
  const nn::Dataset batch = random_digits(16, 5);
  nn::cross_entropy((*model)(Variable(batch.images)), batch.labels).backward();
  for (const auto& [name, p] : model->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    double norm = 0;
    for (double g : p.grad().value().to_vector()) {
      ASSERT_TRUE(std::isfinite(g)) << name;
      norm += g * g;
    }
    EXPECT_GT(norm, 0.0) << name << " gets no gradient";
  }
  // BatchNorm is folded with its running statistics: a QAT step leaves them alone.
  const auto bn = model->stages()[0]->bn;
  for (const auto& [name, t] : bn->named_buffers())
    if (name == "running_mean") {
      EXPECT_EQ(t.to_vector(), std::vector<double>(16, 0.0));
    }
}

TEST(Qat, FineTuningRunsEvaluatesEachEpochAndExports) {
  auto model = calibrated_cnn(2);
  const nn::Split split{random_digits(64, 7), random_digits(32, 8)};
  q::QatOptions o;
  o.epochs = 2;
  o.max_batches = 2;
  o.batch_size = 16;
  o.lr = 1e-3;
  const q::QatResult r = q::quantization_aware_training(*model, split, o);
  ASSERT_EQ(r.history.epochs(), 2);
  EXPECT_EQ(r.history.step_loss.size(), 4u);
  EXPECT_EQ(r.accuracy, r.history.test_accuracy.back());
  EXPECT_FALSE(model->training()) << "left in eval mode: the ranges are frozen";
  // The moving-average observers kept watching while it trained (two batches per epoch).
  EXPECT_EQ(model->stages()[1]->output->observer().batches(), 2 + 4);
  const q::Int8Model int8 = q::export_int8(*model);
  EXPECT_EQ(int8.forward(split.test.images).shape(), (gb::Shape{32, 10}));
}

TEST(Qat, RefusesAnUncalibratedModelAndBadOptions) {
  auto raw = q::prepare_quant_model(*nn::digits_mlp(0));
  const nn::Split split{random_digits(32, 1), random_digits(16, 2)};
  EXPECT_THROW(q::quantization_aware_training(*raw, split, {}, "mlp"), gb::Error);
  auto model = calibrated_cnn(3);
  q::QatOptions o;
  o.lr = -1;
  EXPECT_THROW(q::quantization_aware_training(*model, split, o), gb::Error);
  o = {};
  o.batch_size = 0;
  EXPECT_THROW(q::quantization_aware_training(*model, split, o), gb::Error);
}

// --- the report's table ------------------------------------------------------------------------------------

namespace {

q::QuantReport made_up_report() {
  q::QuantReport r;
  r.model = "cnn";
  r.test_examples = 359;
  r.calibration_batches = 16;
  r.sensitivity_calibrator = "minmax";
  r.rows = {{"fp32", "float32, trained 12 epochs", 0.98329, 1.0, 0.0, 0.61},
            {"PTQ dynamic", "int8 weights; activations quantized per batch at run time", 0.98050, 0.99164, 0.0311, 0.02},
            {"PTQ static kl", "int8 kernels", 0.97493, 0.98, 0.25, 0.5},
            {"QAT int8", "int8 kernels, exported from the QAT model", 0.98607, 0.97214, 0.123456, 0.01}};
  r.sensitivity = {{"conv1", 0.98, 0.329, 0.01}, {"fc", 0.97, 1.329, 0.02}};
  return r;
}

}  // namespace

TEST(QuantReport, TheTableIsAlignedWithFourDigitsAndPoints) {
  const std::string text = q::format_report(made_up_report());
  std::istringstream lines(text);
  std::vector<std::string> rows;
  for (std::string l; std::getline(lines, l);) rows.push_back(l);
  ASSERT_GE(rows.size(), 6u) << text;
  const std::size_t accuracy_column = rows[1].find("accuracy");
  ASSERT_NE(accuracy_column, std::string::npos);
  const std::regex number("[01]\\.[0-9]{4}");
  for (std::size_t i = 2; i < 6; ++i) {
    // Each accuracy ends where the header's "accuracy" ends (right-aligned in its column).
    const std::string cell = rows[i].substr(accuracy_column, 8);
    EXPECT_TRUE(std::regex_search(cell, number)) << rows[i];
  }
  EXPECT_NE(rows[2].find("+0.00"), std::string::npos) << rows[2];
  EXPECT_NE(rows[3].find("-0.28"), std::string::npos) << rows[3];
  EXPECT_NE(rows[5].find("+0.28"), std::string::npos) << rows[5];
  EXPECT_NE(rows[5].find("0.9721"), std::string::npos) << rows[5];  // agreement
  EXPECT_NE(rows[5].find("0.1235"), std::string::npos) << rows[5];  // logit RMS
  EXPECT_NE(text.find("layer sensitivity (minmax"), std::string::npos) << text;
  EXPECT_EQ(made_up_report().row("QAT int8").accuracy, 0.98607);
  EXPECT_THROW(made_up_report().row("nothing"), gb::Error);
}

TEST(QuantReport, BadOptionsAreErrors) {
  q::ReportOptions o;
  o.model = "resnet";
  EXPECT_THROW(q::quant_report(o), gb::Error);
  o = {};
  o.calibration_batches = 0;
  EXPECT_THROW(q::quant_report(o), gb::Error);
  o = {};
  o.skip_sensitive = -1;
  EXPECT_THROW(q::quant_report(o), gb::Error);
}

// --- recordings --------------------------------------------------------------------------------------------

TEST(QatRecordings, TheStaircaseAndItsMaskComeFromTheOp) {
  gb::trace::Recorder rec("25-quantization-aware-training", "t");
  q::QParams p;
  p.dtype = DType::u8;
  p.scale = {0.25};
  p.zero_point = {8};
  // The grid covers [0.25 * (0 - 8), 0.25 * (255 - 8)] = [-2, 61.75]; samples on [-3, 3] step 0.01.
  const std::int64_t inside = q::record_fake_quant_staircase(rec, p, -3.0, 3.0, 601);
  // Inside: codes >= 0, i.e. round(x / 0.25) >= -8: x >= -2.125 (ties to even: -2.125 / 0.25 = -8.5 -> -8).
  std::int64_t expected = 0;
  for (int i = 0; i <= 600; ++i) expected += static_cast<float>(-3.0 + 6.0 * i / 600.0) >= -2.125f;
  EXPECT_EQ(inside, expected);
  const gb::trace::Recording r = rec.take();
  ASSERT_EQ(r.steps.size(), 3u);
  const auto state = gb::trace::replay(r, 2);
  const auto* scene = state.find("staircase");
  ASSERT_NE(scene, nullptr);
  ASSERT_EQ(scene->scene.plot.series.size(), 3u);
  ASSERT_EQ(scene->scene.plot.thresholds.size(), 2u);
  EXPECT_DOUBLE_EQ(scene->scene.plot.thresholds[0].x, -2.0);
  EXPECT_EQ(scene->scene.plot.series[0].x.size(), 2u) << "the identity: a line through its ends";
  EXPECT_EQ(scene->scene.plot.series[1].x.size(), 601u);
  EXPECT_EQ(scene->scene.plot.series[2].x.size(), 601u);
  EXPECT_THROW(q::record_fake_quant_staircase(rec, p, 1.0, -1.0), gb::Error);
}

TEST(QatRecordings, AccuracyTableAndCurveHaveOneStepPerRowAndEpoch) {
  gb::trace::Recorder rec("25-quantization-aware-training", "t");
  const q::QuantReport report = made_up_report();
  q::record_accuracy_table(rec, report, "table");
  nn::History h;
  h.train_loss = {0.1, 0.05};
  h.test_accuracy = {0.97, 0.98};
  h.step_loss = {0.2, 0.1, 0.06, 0.04};
  q::record_qat_curve(rec, h, 0.95);
  EXPECT_THROW(q::record_qat_curve(rec, nn::History{}, 0.9, "other"), gb::Error);
  const gb::trace::Recording r = rec.take();
  ASSERT_EQ(r.steps.size(), report.rows.size() + 3);
  for (const auto& step : r.steps) EXPECT_EQ(step.caption.back(), '.') << step.caption;
  const auto state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto& rows = state.find("table")->scene.table.rows;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2][1], "0.9749");
  EXPECT_EQ(rows[2][2], "-0.84");
  EXPECT_EQ(rows[2][3], "0.9800");
  EXPECT_EQ(rows[2][4], "0.2500");
  const auto& curve = state.find("qat_curve")->scene.plot;
  for (const auto& s : curve.series) {
    if (s.name == "batch loss") {
      EXPECT_EQ(s.x, (std::vector<double>{0.5, 1.0, 1.5, 2.0}));
      EXPECT_EQ(s.y, h.step_loss);
    }
    if (s.name == "test accuracy") {
      EXPECT_EQ(s.x, (std::vector<double>{0, 1, 2}));
      EXPECT_EQ(s.y, (std::vector<double>{0.95, 0.97, 0.98}));
    }
  }
  EXPECT_EQ(curve.series.size(), 3u);
}
