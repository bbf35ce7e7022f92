// compress_report.cpp: `glassbox compress-report [--seed S] [--seeds N] [--fine-tune-epochs N]
//                      [--distill-epochs N] [--temperature T] [--lambda L]`
//
// Trains lesson 01's digits models once (seed S), prunes them every way lesson 26 teaches (magnitude
// per layer and global at 50/70/90%, L1 filter pruning of the CNN at 25/50%, the gradual schedule on
// the MLP), fine-tunes each, and distils the CNN into a small MLP for seeds S .. S + N - 1 against the
// same student trained on the labels alone (lesson 27): gb::compress::compress_report, printed by
// format_compress_report. Accuracy is a fraction with four digits, differences are in points.
#include <ostream>
#include <string>
#include <vector>

#include "gb/compress/report.hpp"
#include "gb/core/error.hpp"
#include "gb/lessons/commands.hpp"
#include "gb/lessons/options.hpp"

namespace gb::lessons {

namespace {

int run_compress_report(const std::vector<std::string>& args, std::ostream& out) {
  compress::CompressOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (option.rfind("--", 0) != 0) throw Error("compress-report", "options starting with --", "'" + option + "'");
    if (i + 1 >= args.size()) throw Error("compress-report " + option, "a value after " + option, "nothing");
    const std::string& value = args[++i];
    if (option == "--seed") {
      o.seed = static_cast<std::uint64_t>(integer_option("compress-report", option, value, 0, 1'000'000'000));
    } else if (option == "--seeds") {
      o.seeds = integer_option("compress-report", option, value, 1, 100);
    } else if (option == "--fine-tune-epochs") {
      o.fine_tune.epochs = integer_option("compress-report", option, value, 1, 1000);
    } else if (option == "--distill-epochs") {
      o.distill.epochs = integer_option("compress-report", option, value, 1, 1000);
    } else if (option == "--temperature") {
      o.distill.temperature = number_option("compress-report", option, value, 0, false, 1000);
    } else if (option == "--lambda") {
      o.distill.lambda = number_option("compress-report", option, value, 0, true, 1000);
    } else {
      throw Error("compress-report",
                  "one of --seed, --seeds, --fine-tune-epochs, --distill-epochs, --temperature, --lambda",
                  "'" + option + "'");
    }
  }
  out << compress::format_compress_report(compress::compress_report(o));
  return 0;
}

}  // namespace

Command compress_report_command() {
  return {"compress-report",
          "compress-report [--seed S] [--seeds N] [--fine-tune-epochs N] [--distill-epochs N] [--temperature T] "
          "[--lambda L]",
          "prune the digits models (magnitude, filters, gradual) and distil the CNN into a small MLP; print the tables",
          run_compress_report};
}

}  // namespace gb::lessons
