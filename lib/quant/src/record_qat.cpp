// record_qat.cpp: the recordings of lesson 25 (and the accuracy table lesson 24 can reuse): every
// value drawn is computed here by the library (fake_quant and its backward, the report's runs).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "number_text.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/quant/qat.hpp"

namespace gb::quant {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
using detail::fixed;
using detail::points;

}  // namespace

void record_accuracy_table(trace::Recorder& rec, const QuantReport& report, const std::string& scene_id) {
  if (report.rows.empty()) throw Error("record_accuracy_table", "a report with rows", "an empty report");
  rec.add_scene(trace::table_scene(scene_id,
                                   "Test accuracy of the " + report.model + " on " + std::to_string(report.test_examples) +
                                       " held-out digits, fp32 and quantized",
                                   {"method", "accuracy", "vs fp32 (points)", "agreement", "logit RMS", "how"}));
  const double fp32 = report.fp32_accuracy();
  for (const ReportRow& row : report.rows) {
    const std::string vs = points(row.accuracy, fp32);
    const std::string caption =
        row.method == "fp32"
            ? "The float model classifies " + fixed(row.accuracy, 4) + " of the test digits correctly: the baseline."
            : row.method + " reaches " + fixed(row.accuracy, 4) + " (" + vs + " points against fp32), predicts what fp32 predicts on " +
                  fixed(row.agreement * 100, 1) + "% of the digits, and moves the logits by " + fixed(row.logit_rms, 3) +
                  " RMS.";
    rec.step(caption, trace::Level::op)
        .add_row(scene_id, {row.method, fixed(row.accuracy, 4), vs, fixed(row.agreement, 4), fixed(row.logit_rms, 4), row.how});
  }
}

std::int64_t record_fake_quant_staircase(trace::Recorder& rec, const QParams& p, double lo, double hi,
                                         std::int64_t samples, const std::string& scene_id) {
  const std::string op = "record_fake_quant_staircase";
  if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi)) throw Error(op, "a range lo < hi", num(lo) + " .. " + num(hi));
  if (samples < 2 || samples > 100000) throw Error(op, "2 to 100000 samples", std::to_string(samples));
  if (p.per_channel()) throw Error(op, "a per-tensor grid", p.str());
  std::vector<double> xs(static_cast<std::size_t>(samples));
  for (std::int64_t i = 0; i < samples; ++i)
    xs[static_cast<std::size_t>(i)] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(samples - 1);
  // The real op and its real backward: y = fake_quant(x), then d sum(y) / dx is the STE mask.
  const autodiff::Variable x(Tensor::from_values(xs, {samples}, DType::f32), /*requires_grad=*/true, "x");
  const autodiff::Variable y = fake_quant(x, p);
  autodiff::sum(y).backward();
  const std::vector<double> xf = x.value().to_vector(), yf = y.value().to_vector(), mask = x.grad().value().to_vector();
  std::int64_t inside = 0;
  for (double m : mask) inside += m == 1.0;

  const QRange r = p.range();
  const double s = p.scale[0];
  const std::int32_t z = p.zero_point[0];
  const double low = s * (r.qmin - z), high = s * (r.qmax - z);
  trace::Scene scene = trace::plot_scene(scene_id, "fake_quant(x) with S = " + num(s) + ", Z = " + std::to_string(z) +
                                                       " (" + (p.dtype == DType::u8 ? "uint8" : "int8") + ")",
                                         "x", "value / gradient");
  scene.plot.thresholds = {{"S (qmin - Z) = " + num(low), low}, {"S (qmax - Z) = " + num(high), high}};
  rec.add_scene(std::move(scene));
  rec.step("The identity line y = x: what a float layer passes on.", trace::Level::op)
      .set_series(scene_id, "x", {xf.front(), xf.back()}, {xf.front(), xf.back()});
  rec.step("fake_quant(x) = S (clamp(round(x / S) + Z, " + std::to_string(r.qmin) + ", " + std::to_string(r.qmax) +
               ") - Z) is a staircase of step S = " + num(s) + " that is flat below " + num(low) + " and above " +
               num(high) + ".",
           trace::Level::op)
      .set_series(scene_id, "fake_quant(x)", xf, yf);
  rec.step("Its straight-through gradient is 1 on the " + std::to_string(inside) + " of " + std::to_string(samples) +
               " samples whose code lands inside the grid and 0 where clamping cuts x off.",
           trace::Level::op)
      .set_series(scene_id, "STE mask", xf, mask);
  return inside;
}

void record_qat_curve(trace::Recorder& rec, const nn::History& history, double start_accuracy,
                      const std::string& scene_id) {
  const std::int64_t epochs = history.epochs();
  if (epochs == 0) throw Error("record_qat_curve", "a history of at least one epoch", "none");
  const auto steps = static_cast<std::int64_t>(history.step_loss.size());
  if (steps % epochs != 0)
    throw Error("record_qat_curve", "the same number of batches in every epoch",
                std::to_string(steps) + " batches in " + std::to_string(epochs) + " epochs");
  const std::int64_t per_epoch = steps / epochs;
  rec.add_scene(trace::plot_scene(scene_id, "QAT fine-tuning: test accuracy and train loss (x: epochs of fine-tuning)",
                                  "epoch", "accuracy / loss"));
  rec.step("Before fine-tuning, the fake-quant model (the PTQ starting point) classifies " + fixed(start_accuracy, 4) +
               " of the test digits.",
           trace::Level::op)
      .add_point(scene_id, "test accuracy", 0.0, start_accuracy);
  for (std::int64_t e = 0; e < epochs; ++e) {
    const auto i = static_cast<std::size_t>(e);
    std::vector<double> xs, losses;
    for (std::int64_t k = 0; k < (e + 1) * per_epoch; ++k) {
      xs.push_back(static_cast<double>(k / per_epoch) + static_cast<double>(k % per_epoch + 1) / static_cast<double>(per_epoch));
      losses.push_back(history.step_loss[static_cast<std::size_t>(k)]);
    }
    rec.step("QAT epoch " + std::to_string(e + 1) + ": " + std::to_string(per_epoch) + " batches through fake quant, mean train loss " +
                 fixed(history.train_loss[i], 4) + ", test accuracy " + fixed(history.test_accuracy[i], 4) + ".",
             trace::Level::op)
        .set_series(scene_id, "batch loss", xs, losses)
        .add_point(scene_id, "train loss", static_cast<double>(e + 1), history.train_loss[i])
        .add_point(scene_id, "test accuracy", static_cast<double>(e + 1), history.test_accuracy[i]);
  }
}

}  // namespace gb::quant
