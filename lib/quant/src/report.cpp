// report.cpp: the accuracy table of PTQ and QAT on a digits model (qat.hpp): train once, then every
// way of quantizing it, each evaluated on the same 359 held-out digits.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "number_text.hpp"
#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/data.hpp"
#include "gb/quant/qat.hpp"

namespace gb::quant {

namespace {

class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double lap() {
    const double s = seconds();
    start_ = std::chrono::steady_clock::now();
    return s;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

using detail::fixed;
using detail::points;

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

std::string pad(const std::string& s, std::size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }
std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// The logits of a whole data set, in eval mode and without a tape.
Tensor logits_of(nn::Module& model, const Tensor& images) {
  autodiff::NoGradGuard no_tape;
  const bool was_training = model.training();
  model.eval();
  Tensor out = model(autodiff::Variable(images)).value();
  model.train(was_training);
  return out;
}

ReportRow scored(std::string method, std::string how, const Tensor& logits, const Tensor& fp32_logits,
                 const nn::Dataset& test, double seconds) {
  const LogitComparison c = compare_logits(logits, fp32_logits, test.labels);
  return {std::move(method), std::move(how), c.accuracy, c.agreement, c.logit_rms, seconds};
}

}  // namespace

const ReportRow& QuantReport::row(const std::string& method) const {
  std::string names;
  for (const ReportRow& r : rows) {
    if (r.method == method) return r;
    names += (names.empty() ? "" : ", ") + r.method;
  }
  throw Error("QuantReport.row", "one of " + names, "'" + method + "'");
}

QuantReport quant_report(const ReportOptions& o) {
  const std::string op = "quant_report";
  if (o.model != "cnn" && o.model != "mlp") throw Error(op, "a model name, cnn or mlp", "'" + o.model + "'");
  if (o.calibration_batches < 1) throw Error(op, "at least one calibration batch", std::to_string(o.calibration_batches));
  if (o.skip_sensitive < 0) throw Error(op, "skip_sensitive >= 0", std::to_string(o.skip_sensitive));
  if (o.epochs < 0) throw Error(op, "epochs >= 1 (or 0 for the default)", std::to_string(o.epochs));
  constexpr std::int64_t kCalibrationBatchSize = 32;
  QuantReport report;
  report.model = o.model;
  report.seed = o.seed;
  report.calibration_batches = o.calibration_batches;
  report.sensitivity_calibrator = calibrator_name(o.sensitivity_calibrator);
  Stopwatch clock;

  // fp32: the model of lesson 01, trained once with a fixed seed.
  nn::TrainConfig config;
  config.model = o.model;
  config.seed = o.seed;
  config.epochs = o.epochs;
  config.data_path = o.data_path;
  const nn::TrainResult trained = nn::train_digits(config);
  const nn::Sequential& fp32 = *trained.model;
  const nn::Split split = nn::train_test_split(nn::load_digits(o.data_path), config.test_fraction, o.seed);
  report.test_examples = split.test.size();
  report.test = split.test;
  report.training = trained.history;
  report.fp32_model = trained.model;
  const std::int64_t epochs = trained.history.epochs();
  const nn::Dataset& test = split.test;
  const Tensor fp32_logits = logits_of(*trained.model, test.images);
  report.rows.push_back(scored("fp32", "float32, trained " + std::to_string(epochs) + " epochs", fp32_logits, fp32_logits,
                               test, clock.lap()));
  // The stopwatch of each row below starts after the previous row: calibration, export and evaluation.
  const auto add_row = [&](std::string method, std::string how, const Tensor& logits) {
    report.rows.push_back(scored(std::move(method), std::move(how), logits, fp32_logits, test, clock.lap()));
  };

  // PTQ dynamic: weights offline, activations per batch; nothing to calibrate.
  add_row("PTQ dynamic", "int8 weights; activations quantized per batch at run time",
          dynamic_int8(fp32).forward(test.images));

  // PTQ static: one calibration per calibrator, each exported to the integer model.
  const auto model = prepare_quant_model(fp32);
  const std::string calibration = std::to_string(o.calibration_batches) + " calibration batches";
  for (Calibrator c : {Calibrator::minmax, Calibrator::moving_average, Calibrator::percentile, Calibrator::kl,
                       Calibrator::mse}) {
    calibrate_model(*model, split.train, c, o.calibration_batches, kCalibrationBatchSize, o.seed);
    add_row(std::string("PTQ static ") + calibrator_name(c), "int8 kernels, uint8 activations, " + calibration,
            export_int8(*model).forward(test.images));
  }

  // Layer-wise sensitivity, and the static model with the most sensitive layers left in float.
  calibrate_model(*model, split.train, o.sensitivity_calibrator, o.calibration_batches, kCalibrationBatchSize, o.seed);
  report.sensitivity = layer_sensitivity(*model, test, fp32_logits);
  if (o.skip_sensitive > 0) {
    const std::set<std::string> skipped = most_sensitive(report.sensitivity, o.skip_sensitive);
    add_row(std::string("PTQ static ") + calibrator_name(o.sensitivity_calibrator) + " - " + joined(skipped),
            "int8 kernels; " + joined(skipped) + " left in float (most sensitive)",
            export_int8(*model, skipped).forward(test.images));
  }

  // QAT: from the PTQ model (moving-average ranges), a short fine-tuning, then the integer export.
  const auto qat_model = prepare_quant_model(fp32);
  calibrate_model(*qat_model, split.train, Calibrator::moving_average, o.calibration_batches, kCalibrationBatchSize, o.seed);
  QatOptions qat_options = o.qat;
  qat_options.seed = o.seed;
  const QatResult qat = quantization_aware_training(*qat_model, split, qat_options, o.model);
  report.qat = qat.history;
  report.qat_start_accuracy = qat.start_accuracy;
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", qat_options.lr);
  const std::int64_t qat_epochs = qat.history.epochs();
  add_row("QAT fake quant",
          "fake-quant float model, fine-tuned " + std::to_string(qat_epochs) + (qat_epochs == 1 ? " epoch" : " epochs") +
              " at lr " + lr,
          logits_of(*qat_model, test.images));
  const Int8Model exported = export_int8(*qat_model);
  add_row("QAT int8", "int8 kernels, exported from the QAT model", exported.forward(test.images));
  std::istringstream lines(exported.str());
  for (std::string line; std::getline(lines, line);) report.int8_layers.push_back(line);
  return report;
}

std::string format_report(const QuantReport& r) {
  std::ostringstream out;
  out << "quant-report: " << r.model << ", seed " << r.seed << ", " << r.test_examples << " test digits, "
      << r.calibration_batches << " calibration batches of 32 training images\n";
  const double fp32 = r.fp32_accuracy();
  std::size_t method_width = 6, how_width = 3;
  for (const ReportRow& row : r.rows) {
    method_width = std::max(method_width, row.method.size());
    how_width = std::max(how_width, row.how.size());
  }
  out << pad("method", method_width) << "  accuracy  vs fp32   agree  logit rms  " << pad("how", how_width)
      << "  seconds\n";
  for (const ReportRow& row : r.rows) {
    out << pad(row.method, method_width) << "  " << pad_left(fixed(row.accuracy, 4), 8) << "  "
        << pad_left(points(row.accuracy, fp32), 7) << "  " << pad_left(fixed(row.agreement, 4), 6) << "  "
        << pad_left(fixed(row.logit_rms, 4), 9) << "  " << pad(row.how, how_width) << "  "
        << pad_left(fixed(row.seconds, 2), 7) << "\n";
  }
  if (!r.sensitivity.empty()) {
    out << "layer sensitivity (" << r.sensitivity_calibrator << " calibration; one layer int8, the others float):\n";
    std::size_t width = 5;
    for (const LayerSensitivity& s : r.sensitivity) width = std::max(width, s.label.size());
    out << pad("layer", width) << "  accuracy  vs fp32  logit rms\n";
    for (const LayerSensitivity& s : r.sensitivity)
      out << pad(s.label, width) << "  " << pad_left(fixed(s.accuracy, 4), 8) << "  "
          << pad_left(points(s.accuracy, fp32), 7) << "  " << pad_left(fixed(s.logit_rms, 4), 9) << "\n";
  }
  return out.str();
}

}  // namespace gb::quant
