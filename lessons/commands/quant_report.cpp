// quant_report.cpp: `glassbox quant-report [--model cnn|mlp] [--seed S] [--calibration-batches N]
//                   [--epochs N] [--qat-epochs N] [--qat-lr X] [--skip-sensitive K]
//                   [--sensitivity-calibrator NAME]`
//
// Trains one of lesson 01's digits models once (a fixed seed), quantizes it every way lessons 24-25
// teach, and prints the test accuracy of each (gb::quant::quant_report): fp32, PTQ dynamic, PTQ static
// with each calibrator (minmax, moving_average, percentile, kl, mse) on the integer kernels, the
// static model with its most sensitive layers left in float, QAT (fake quant) and QAT exported to
// int8; then the layer-wise sensitivity. Accuracy is a fraction with four digits, "vs fp32" the
// difference in points (percent).
#include <ostream>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/commands.hpp"
#include "gb/lessons/options.hpp"
#include "gb/quant/qat.hpp"

namespace gb::lessons {

namespace {

int run_quant_report(const std::vector<std::string>& args, std::ostream& out) {
  quant::ReportOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (option.rfind("--", 0) != 0) throw Error("quant-report", "options starting with --", "'" + option + "'");
    if (i + 1 >= args.size()) throw Error("quant-report " + option, "a value after " + option, "nothing");
    const std::string& value = args[++i];
    if (option == "--model") {
      if (value != "cnn" && value != "mlp") throw Error("quant-report --model", "cnn or mlp", "'" + value + "'");
      o.model = value;
    } else if (option == "--seed") {
      o.seed = static_cast<std::uint64_t>(integer_option("quant-report", option, value, 0, 1'000'000'000));
    } else if (option == "--calibration-batches") {
      o.calibration_batches = integer_option("quant-report", option, value, 1, 1000);
    } else if (option == "--epochs") {
      o.epochs = integer_option("quant-report", option, value, 1, 1000);
    } else if (option == "--qat-epochs") {
      o.qat.epochs = integer_option("quant-report", option, value, 1, 1000);
    } else if (option == "--qat-lr") {
      o.qat.lr = number_option("quant-report", option, value, 0, false, 10);
    } else if (option == "--skip-sensitive") {
      o.skip_sensitive = integer_option("quant-report", option, value, 0, 100);
    } else if (option == "--sensitivity-calibrator") {
      o.sensitivity_calibrator = quant::calibrator_from_name(value);
    } else {
      throw Error("quant-report",
                  "one of --model, --seed, --calibration-batches, --epochs, --qat-epochs, --qat-lr, --skip-sensitive, "
                  "--sensitivity-calibrator",
                  "'" + option + "'");
    }
  }
  out << quant::format_report(quant::quant_report(o));
  return 0;
}

}  // namespace

Command quant_report_command() {
  return {"quant-report",
          "quant-report [--model cnn|mlp] [--seed S] [--calibration-batches N] [--epochs N] [--qat-epochs N] [--qat-lr X] "
          "[--skip-sensitive K] [--sensitivity-calibrator minmax|moving_average|percentile|kl|mse]",
          "train a digits model, quantize it (PTQ dynamic, static with each calibrator, QAT) and print the accuracy table",
          run_quant_report};
}

}  // namespace gb::lessons
