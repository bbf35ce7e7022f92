// train.cpp: `glassbox train digits --model mlp|cnn [--epochs N] [--stop-after E] [--seed S] [--batch-size B] [--lr X]
//            [--optimizer sgd|adam|adamw] [--schedule none|step|cosine] [--weight-decay X]
//            [--checkpoint F] [--resume F] [--record F.json]`
//
// Trains one of lesson 01's models on the UCI digits (gb::nn::train_digits) with a progress bar (one
// line per epoch when the output is not a terminal), and ends with the line `test_accuracy <fraction>`.
// --checkpoint writes a checkpoint after every epoch; --stop-after E stops the run after epoch E (as if
// interrupted); --resume continues a run from a checkpoint (same options: the run goes on exactly as
// if it had not stopped); --record writes the learning curves
// as a Recording (JSON) for the viewer or a notebook.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/commands.hpp"
#include "gb/nn/train.hpp"
#include "gb/trace/json.hpp"

namespace gb::lessons {

namespace {

// The whole word as an integer >= low, or gb::Error naming the option.
std::int64_t parse_integer(const std::string& option, const std::string& text, std::int64_t low) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || v < low)
    throw Error("train " + option, "an integer >= " + std::to_string(low), "'" + text + "'");
  return v;
}

double parse_number(const std::string& option, const std::string& text, bool positive) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(v >= 0) || (positive && v == 0) || v > 1e6)
    throw Error("train " + option, positive ? "a number > 0" : "a number >= 0", "'" + text + "'");
  return v;
}

int run_train(const std::vector<std::string>& args, std::ostream& out) {
  if (args.empty() || args[0] != "digits")
    throw Error("train", "a data set: glassbox train digits --model mlp|cnn", args.empty() ? "none" : "'" + args[0] + "'");
  nn::TrainConfig config;
  std::string record;
  bool have_model = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (option.rfind("--", 0) != 0) throw Error("train", "options starting with --", "'" + option + "'");
    if (i + 1 >= args.size()) throw Error("train " + option, "a value after " + option, "nothing");
    const std::string& value = args[++i];
    if (option == "--model") {
      config.model = value;
      have_model = true;
    } else if (option == "--epochs") {
      config.epochs = parse_integer(option, value, 1);
    } else if (option == "--stop-after") {
      config.stop_after = parse_integer(option, value, 1);
    } else if (option == "--seed") {
      config.seed = static_cast<std::uint64_t>(parse_integer(option, value, 0));
    } else if (option == "--batch-size") {
      config.batch_size = parse_integer(option, value, 1);
    } else if (option == "--lr") {
      config.lr = parse_number(option, value, true);
    } else if (option == "--weight-decay") {
      config.weight_decay = parse_number(option, value, false);
    } else if (option == "--optimizer") {
      config.optimizer = value;
    } else if (option == "--schedule") {
      config.schedule = value;
    } else if (option == "--checkpoint") {
      config.checkpoint = value;
    } else if (option == "--resume") {
      config.resume = value;
    } else if (option == "--record") {
      record = value;
    } else {
      throw Error("train", "one of --model, --epochs, --stop-after, --seed, --batch-size, --lr, --weight-decay, --optimizer, "
                           "--schedule, --checkpoint, --resume, --record",
                  "'" + option + "'");
    }
  }
  if (!have_model) throw Error("train", "--model mlp or --model cnn", "no --model");
  nn::check_config(config);

  const nn::TrainResult result = nn::train_digits(config, &out, nn::is_terminal(out));
  if (!record.empty()) {
    std::ofstream file(record);
    if (!file) throw Error("train --record", "a writable file", "'" + record + "'");
    file << trace::to_json(nn::training_recording(result.history, config));
    if (!file) throw Error("train --record", "to write the recording", "a write error in '" + record + "'");
  }
  char line[64];
  std::snprintf(line, sizeof line, "test_accuracy %.4f\n", result.test.accuracy);
  out << line;
  return 0;
}

}  // namespace

Command train_command() {
  return {"train",
          "train digits --model mlp|cnn [--epochs N] [--stop-after E] [--seed S] [--batch-size B] [--lr X] [--optimizer sgd|adam|adamw] "
          "[--schedule none|step|cosine] [--weight-decay X] [--checkpoint F] [--resume F] [--record F.json]",
          "train a model on the 8x8 UCI digits with a progress bar; checkpoints, resuming, learning curves", run_train};
}

}  // namespace gb::lessons
