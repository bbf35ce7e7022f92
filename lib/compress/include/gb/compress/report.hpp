// report.hpp: `glassbox compress-report`: what pruning and distillation do to the digits models,
// measured and printed as tables (lessons 26-27), and the recordings those lessons draw.
//
// The report trains the fp32 models once per seed (nn::train_digits), then:
//   - unstructured magnitude pruning of the CNN and the MLP at 50%, 70% and 90% (per layer and global),
//     accuracy right after pruning and after fine-tuning with the masks, nonzero parameters;
//   - structured filter pruning of the CNN (25% and 50% of the filters of every convolution), with
//     parameters and multiply-adds per image before and after, and accuracy before and after fine-tuning;
//   - the gradual schedule to 90% on the MLP;
//   - the control: each unpruned model fine-tuned exactly like the pruned ones ("dense fine-tuned"), since
//     fine-tuning is extra training and a pruned row may owe its gain to it;
//   - distillation: the CNN teacher into the small MLP student, against the same student trained on the
//     labels alone, for every seed, with the mean and the spread (sample standard deviation), reported
//     whichever wins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/compress/distill.hpp"
#include "gb/compress/prune.hpp"
#include "gb/nn/data.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::compress {

struct CompressOptions {
  std::uint64_t seed = 0;            // the first seed (pruning uses this one)
  std::int64_t seeds = 3;            // distillation runs seeds seed, seed + 1, ...
  std::vector<double> sparsities = {0.5, 0.7, 0.9};
  std::vector<double> filter_fractions = {0.25, 0.5};
  std::int64_t train_epochs = 0;       // of each fp32 model's training; 0: the model's default (nn::default_epochs)
  std::int64_t train_max_batches = 0;  // per epoch of that training; 0: all (tests use a few)
  FineTuneOptions fine_tune;         // after each pruning
  DistillOptions distill;            // its seed is replaced by each run's seed
  std::string data_path = nn::default_digits_path();
};

struct PruneRow {
  std::string model;              // "cnn" or "mlp"
  std::string method;             // "magnitude layer", "magnitude global", "filters L1", "gradual", "dense fine-tuned"
  double target = 0;              // sparsity or fraction of filters asked for
  double sparsity = 0;            // zeros among the prunable weights (structured: fraction of filters removed)
  ModelCost cost;                 // after pruning
  double accuracy_pruned = 0;     // test accuracy before fine-tuning
  double accuracy = 0;            // after fine-tuning
};

struct DistillRow {
  std::uint64_t seed = 0;
  double teacher = 0;             // the CNN's test accuracy
  double baseline = 0;            // the student trained on labels alone
  double distilled = 0;           // the student trained with the teacher
};

struct CompressReport {
  std::uint64_t seed = 0;
  std::int64_t test_examples = 0;
  double cnn_accuracy = 0, mlp_accuracy = 0;  // the unpruned fp32 models
  ModelCost cnn_cost, mlp_cost;
  std::vector<PruneRow> pruning;              // unstructured, filters, gradual, then the two dense controls
  std::vector<DistillRow> distillation;       // one per seed
  // mean and sample standard deviation over the seeds
  double baseline_mean = 0, baseline_std = 0, distilled_mean = 0, distilled_std = 0;
  DistillOptions distill;                     // what the students were trained with
};

CompressReport compress_report(const CompressOptions& options);
// The tables as `glassbox compress-report` prints them (accuracies as fractions with four digits, the
// difference to the unpruned model in points, costs as integers), ending with one sentence saying which
// student won and by how much, in units of the spread.
std::string format_compress_report(const CompressReport& report);

}  // namespace gb::compress
