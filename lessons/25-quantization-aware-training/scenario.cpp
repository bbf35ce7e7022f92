// 25-quantization-aware-training: FakeQuant and its straight-through gradient (a staircase drawn by the
// real op and its real backward), BatchNorm folded into the trained CNN's first convolution (weights
// before and after, checked against conv + BatchNorm), the QAT fine-tuning curve, and the accuracy
// table of fp32, PTQ (dynamic, static with each calibrator) and QAT on the integer kernels, all from
// one real run of gb::quant::quant_report. The scenario checks its own numbers: the STE mask against
// the grid's ends, the folded convolution against conv then BatchNorm, the integer QAT model against
// its fake-quant twin.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/layers.hpp"
#include "gb/quant/fold.hpp"
#include "gb/quant/qat.hpp"
#include "gb/trace/recorder.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::lessons {

extern const char* const lesson_text_25_quantization_aware_training;

namespace {

namespace q = gb::quant;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 25-quantization-aware-training self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// --- 1. the staircase and its mask ------------------------------------------------------------------------
void staircase(Recorder& rec, double scale, std::int64_t zero_point) {
  rec.section("1. FakeQuant: a staircase with a straight-through gradient");
  q::QParams p;
  p.dtype = DType::u8;
  p.scale = {scale};
  p.zero_point = {static_cast<std::int32_t>(zero_point)};
  // x from a little below the grid to a little above it: both flat ends show.
  const double low = scale * (0 - zero_point), high = scale * (255 - zero_point);
  const double margin = 0.15 * (high - low);
  const std::int64_t samples = 2049;  // several samples per step of the staircase
  const std::int64_t inside = q::record_fake_quant_staircase(rec, p, low - margin, high + margin, samples);
  // The mask is 1 exactly where the code rounds into [0, 255]: x within half a step of the grid's ends.
  std::int64_t expected = 0;
  for (std::int64_t i = 0; i < samples; ++i) {
    const double x = low - margin + (high - low + 2 * margin) * static_cast<double>(i) / static_cast<double>(samples - 1);
    const float code = static_cast<float>(zero_point) + std::nearbyint(static_cast<float>(x) * (1.0f / static_cast<float>(scale)));
    expected += code >= 0 && code <= 255;
  }
  check(inside == expected, std::to_string(expected) + " samples inside the grid", std::to_string(inside));
}

// --- 2. BatchNorm folding on the trained model's first convolution ---------------------------------------
void folding(Recorder& rec, nn::Sequential& model, const nn::Dataset& test) {
  rec.section("2. Folding BatchNorm into the convolution");
  const auto& conv = dynamic_cast<const nn::Conv2d&>(model[0]);
  const auto& bn = dynamic_cast<const nn::BatchNorm&>(model[1]);
  const q::FoldedConv f = q::fold_batch_norm(conv, bn);
  const std::int64_t oc = conv.out_channels, taps = conv.weight.numel() / oc;
  const Tensor before = conv.weight.value().reshape({oc, taps});
  rec.add_scene(trace::tensor_scene("w_before", "conv1 weights W (16 filters of 3 x 3, one per row), as trained", before));
  rec.add_scene(trace::tensor_scene("w_after", "conv1 weights W' = W gamma / sqrt(var + eps), BatchNorm folded in", before));
  rec.add_scene(trace::table_scene("fold", "BatchNorm of conv1 folded, channel by channel",
                                   {"channel", "gamma / sqrt(var + eps)", "bias b", "folded bias b'"}));
  const std::vector<double> gamma = bn.weight.value().to_vector(), beta = bn.bias.value().to_vector();
  const std::vector<double> mean = q::running_mean(bn).to_vector(), var = q::running_var(bn).to_vector();
  const std::vector<double> bias = conv.bias.value().to_vector(), folded_bias = f.bias.to_vector();
  const std::vector<double> folded = f.weight.reshape({oc, taps}).to_vector();
  rec.step("conv1 was trained followed by a BatchNorm; at inference both are affine per channel, so they fold into one convolution.",
           Level::op);
  for (std::int64_t c = 0; c < oc; ++c) {
    const auto cc = static_cast<std::size_t>(c);
    const double stretch = gamma[cc] / std::sqrt(var[cc] + bn.eps);
    std::vector<std::int64_t> cells;
    std::vector<double> values;
    for (std::int64_t k = 0; k < taps; ++k) {
      cells.push_back(c * taps + k);
      values.push_back(folded[static_cast<std::size_t>(c * taps + k)]);
    }
    rec.step("Filter " + std::to_string(c) + " is scaled by gamma / sqrt(var + eps) = " + num(stretch) + " and its bias " +
                 num(bias[cc]) + " becomes gamma (b - mu) / sqrt(var + eps) + beta = " + num(folded_bias[cc]) + ".",
             Level::tile)
        .write_cells("w_after", cells, values)
        .add_row("fold", {std::to_string(c), num(stretch), num(bias[cc]), num(folded_bias[cc])});
  }
  // The check: conv then BatchNorm (eval) against the folded convolution, on real test digits.
  const Tensor images = test.images.slice(0, 0, 32);
  Tensor reference;
  {
    autodiff::NoGradGuard no_tape;
    model.eval();
    reference = model[1](model[0](autodiff::Variable(images))).value();
  }
  const Tensor fused = kernels::conv2d(images, f.weight, f.bias, conv.params);
  const double diff = max_abs_diff(fused, reference);
  check(diff < 1e-4, "the folded convolution equals conv then BatchNorm", sci(diff));
  rec.step("On 32 test digits the folded convolution gives conv then BatchNorm to within " + sci(diff) +
               ": the integer model never runs a BatchNorm.",
           Level::op);
}

trace::Recording quantization_aware_training(const Params& params) {
  Recorder rec("25-quantization-aware-training", "Quantization-aware training: FakeQuant, BatchNorm folding, QAT");
  const auto seed = static_cast<std::uint64_t>(param_int(params, "seed"));
  const std::int64_t epochs = param_int(params, "epochs"), qat_epochs = param_int(params, "qat_epochs");
  const std::int64_t qat_batches = param_int(params, "qat_batches");
  const std::int64_t batches = param_int(params, "calibration_batches"), zero_point = param_int(params, "zero_point");
  const double scale = param_double(params, "scale");
  if (epochs < 1 || epochs > 100) throw Error("lesson 25 parameter epochs", "1..100", std::to_string(epochs));
  if (qat_epochs < 1 || qat_epochs > 20) throw Error("lesson 25 parameter qat_epochs", "1..20", std::to_string(qat_epochs));
  if (qat_batches < 0 || qat_batches > 1000) throw Error("lesson 25 parameter qat_batches", "0..1000", std::to_string(qat_batches));
  if (batches < 1 || batches > 44) throw Error("lesson 25 parameter calibration_batches", "1..44", std::to_string(batches));
  if (zero_point < 0 || zero_point > 255) throw Error("lesson 25 parameter zero_point", "0..255", std::to_string(zero_point));
  if (!(scale > 0 && scale <= 100)) throw Error("lesson 25 parameter scale", "0 < scale <= 100", num(scale));

  q::ReportOptions options;
  options.model = "cnn";
  options.seed = seed;
  options.epochs = epochs;
  options.calibration_batches = batches;
  options.qat.epochs = qat_epochs;
  options.qat.max_batches = qat_batches;
  q::QuantReport report;
  {
    trace::ScopedPause pause;  // the runs themselves are lesson 01's and 24's subject; here their results
    report = q::quant_report(options);
  }
  trace::ScopedRecorder attach(rec);
  staircase(rec, scale, zero_point);
  folding(rec, *report.fp32_model, report.test);

  rec.section("3. Fine-tuning through fake quantization");
  q::record_qat_curve(rec, report.qat, report.qat_start_accuracy);
  const q::ReportRow& fake = report.row("QAT fake quant");
  const q::ReportRow& int8 = report.row("QAT int8");
  // The integer export computes what the fake-quant model simulated: the same predictions almost
  // everywhere (rounding of the int32 bias and the fixed-point multipliers may flip a near tie).
  check(std::fabs(fake.accuracy - int8.accuracy) <= 0.02, "the int8 export within 2 points of its fake-quant model",
        num(fake.accuracy) + " vs " + num(int8.accuracy));
  rec.step("Exported to the integer kernels, the fine-tuned model scores " + num(int8.accuracy) + " against " +
               num(fake.accuracy) + " for its fake-quant twin: fake quantization simulated the integer model.",
           Level::op);

  rec.section("4. The accuracy table");
  q::record_accuracy_table(rec, report);
  return rec.take();
}

}  // namespace

Lesson lesson_25_quantization_aware_training() {
  return {"25-quantization-aware-training",
          "Quantization-aware training: FakeQuant, BatchNorm folding, QAT",
          "Part IV, compression",
          {{"seed", "0", "seed of the training run, the split and the calibration batches"},
           {"epochs", "2", "fp32 training epochs of the digits CNN (glassbox quant-report trains the default 12)"},
           {"qat_epochs", "1", "QAT fine-tuning epochs"},
           {"qat_batches", "9", "batches per QAT epoch (0: all 45); 9 is about 10% of a 2-epoch run"},
           {"calibration_batches", "4", "batches of 32 training images each calibrator sees"},
           {"scale", "0.1", "S of the staircase in section 1"},
           {"zero_point", "128", "Z of the staircase in section 1 (uint8: 0..255)"}},
          lesson_text_25_quantization_aware_training,
          quantization_aware_training};
}

}  // namespace gb::lessons
