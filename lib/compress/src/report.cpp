// report.cpp: `glassbox compress-report`'s measurements (report.hpp): train the digits models once,
// then prune them every way lesson 26 teaches and distil the CNN into a small MLP (lesson 27), each
// result evaluated on the same held-out digits. report_format.cpp prints the tables.
//
// Every pruned model starts from a copy of the same trained model, so the rows differ in one thing
// only: how the weights were chosen. Accuracy is measured twice, right after pruning (what the cut
// alone costs) and after fine-tuning with the masks kept (what retraining wins back).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gb/compress/report.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/models.hpp"
#include "gb/nn/train.hpp"

namespace gb::compress {

namespace {

const std::vector<std::int64_t> kImage = {1, 8, 8};  // one digit, for model_cost

void check_options(const CompressOptions& o) {
  const std::string op = "compress_report";
  if (o.seeds < 1) throw Error(op, "seeds >= 1 (distillation runs one student pair per seed)", std::to_string(o.seeds));
  for (double s : o.sparsities)
    if (!(s >= 0 && s <= 1)) throw Error(op, "sparsities in [0, 1]", std::to_string(s));
  for (double f : o.filter_fractions)
    if (!(f >= 0 && f < 1)) throw Error(op, "filter fractions in [0, 1) (a layer keeps a filter)", std::to_string(f));
  if (o.train_epochs < 0) throw Error(op, "train_epochs >= 1 (or 0 for the model's default)", std::to_string(o.train_epochs));
  if (o.train_max_batches < 0) throw Error(op, "train_max_batches >= 0", std::to_string(o.train_max_batches));
  if (o.fine_tune.epochs < 1) throw Error(op, "fine-tuning epochs >= 1", std::to_string(o.fine_tune.epochs));
  if (o.distill.epochs < 1) throw Error(op, "distillation epochs >= 1", std::to_string(o.distill.epochs));
  if (!(o.distill.temperature > 0) || !std::isfinite(o.distill.temperature))
    throw Error(op, "a distillation temperature > 0 (finite)", std::to_string(o.distill.temperature));
  if (!(o.distill.lambda >= 0) || !std::isfinite(o.distill.lambda))
    throw Error(op, "a distillation lambda >= 0 (finite)", std::to_string(o.distill.lambda));
}

// lesson 01's run of one model and seed (the split is train_digits' own: the same seed, 20% held out).
nn::TrainResult trained(const std::string& model, std::uint64_t seed, const CompressOptions& o) {
  nn::TrainConfig config;
  config.model = model;
  config.seed = seed;
  config.epochs = o.train_epochs;
  config.max_batches = o.train_max_batches;
  config.data_path = o.data_path;
  return nn::train_digits(config);
}

// A fresh model of the same architecture with the trained weights and statistics copied in.
std::shared_ptr<nn::Sequential> copy_of(const std::string& model, const nn::Sequential& source, std::uint64_t seed) {
  auto copy = nn::digits_model(model, seed);
  copy->load_state_dict(source.state_dict());
  return copy;
}

// One-shot magnitude pruning of a copy at `target`, then fine-tuning with the masks.
PruneRow magnitude_row(const std::string& model, const nn::Sequential& source, std::uint64_t seed, Scope scope,
                       double target, const nn::Split& split, const FineTuneOptions& fine) {
  auto pruned = copy_of(model, source, seed);
  const Masks masks = magnitude_masks(*pruned, target, scope);
  apply_masks(*pruned, masks);
  PruneRow row;
  row.model = model;
  row.method = std::string("magnitude ") + scope_name(scope);
  row.target = target;
  row.sparsity = count_sparsity(*pruned).fraction();
  row.accuracy_pruned = nn::evaluate(*pruned, split.test).accuracy;
  fine_tune(*pruned, masks, split, fine);
  row.accuracy = nn::evaluate(*pruned, split.test).accuracy;
  row.cost = model_cost(*pruned, kImage);  // after fine-tuning: the masks kept the zeros at zero
  return row;
}

// Structured: a genuinely smaller CNN, then fine-tuning (no masks: nothing is left to keep at zero).
PruneRow filter_row(const nn::Sequential& cnn, double fraction, const nn::Split& split, const FineTuneOptions& fine) {
  const FilterPruning f = prune_filters(cnn, fraction);
  std::int64_t removed = 0, filters = 0;
  for (const auto& [name, list] : f.removed) removed += static_cast<std::int64_t>(list.size());
  for (const auto& [name, value] : cnn.named_parameters())
    if (value.ndim() == 4) filters += value.shape()[0];  // the Conv2d weights [OC, IC, KH, KW]
  PruneRow row;
  row.model = "cnn";
  row.method = "filters L1";
  row.target = fraction;
  row.sparsity = filters > 0 ? static_cast<double>(removed) / static_cast<double>(filters) : 0.0;
  row.cost = model_cost(*f.model, kImage);
  row.accuracy_pruned = nn::evaluate(*f.model, split.test).accuracy;
  fine_tune(*f.model, {}, split, fine);
  row.accuracy = nn::evaluate(*f.model, split.test).accuracy;
  return row;
}

// The control: the unpruned model fine-tuned exactly like the pruned ones. Fine-tuning is extra training, so
// a pruned row that ends above the unpruned model may owe it to those epochs, not to pruning; this row says
// how much the epochs alone give.
PruneRow dense_row(const std::string& model, const nn::Sequential& source, std::uint64_t seed, const nn::Split& split,
                   const FineTuneOptions& fine) {
  auto dense = copy_of(model, source, seed);
  PruneRow row;
  row.model = model;
  row.method = "dense fine-tuned";
  row.target = 0.0;
  row.sparsity = count_sparsity(*dense).fraction();
  row.accuracy_pruned = nn::evaluate(*dense, split.test).accuracy;
  fine_tune(*dense, {}, split, fine);
  row.accuracy = nn::evaluate(*dense, split.test).accuracy;
  row.cost = model_cost(*dense, kImage);
  return row;
}

// Zhu and Gupta's schedule on a copy of the trained MLP: twice the fine-tuning epochs, the sparsity
// raised from 0 to `target` in 10 steps (fewer on a tiny run) over the first half of the batches, the second half retraining
// with the final masks.
PruneRow gradual_row(const nn::Sequential& mlp, std::uint64_t seed, double target, const nn::Split& split,
                     const FineTuneOptions& fine) {
  auto model = copy_of("mlp", mlp, seed);
  GradualOptions g;
  g.train = fine;
  g.train.epochs = 2 * fine.epochs;
  std::int64_t batches = (split.train.size() + fine.batch_size - 1) / fine.batch_size;
  if (fine.max_batches > 0) batches = std::min(batches, fine.max_batches);
  g.schedule.initial_sparsity = 0.0;
  g.schedule.final_sparsity = target;
  g.schedule.begin_step = 0;
  const std::int64_t half = g.train.epochs * batches / 2;  // >= 1: two epochs at least
  g.schedule.pruning_steps = std::clamp<std::int64_t>(half, 1, 10);  // fewer on a tiny run (tests)
  g.schedule.frequency = std::max<std::int64_t>(1, half / g.schedule.pruning_steps);
  const GradualResult r = gradual_pruning(*model, split, Scope::layer, g);
  PruneRow row;
  row.model = "mlp";
  row.method = "gradual";
  row.target = target;
  row.sparsity = count_sparsity(*model).fraction();
  row.cost = model_cost(*model, kImage);
  row.accuracy_pruned = r.events.empty() ? 0.0 : r.events.back().accuracy;  // right after the last pruning event
  row.accuracy = r.accuracy;
  return row;
}

// Sample mean and standard deviation (n - 1 in the denominator; 0 for a single value).
std::pair<double, double> mean_and_std(const std::vector<double>& v) {
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  if (v.size() < 2) return {mean, 0.0};
  double squares = 0;
  for (double x : v) squares += (x - mean) * (x - mean);
  return {mean, std::sqrt(squares / static_cast<double>(v.size() - 1))};
}

}  // namespace

CompressReport compress_report(const CompressOptions& o) {
  check_options(o);
  CompressReport report;
  report.seed = o.seed;
  report.distill = o.distill;
  const nn::Dataset digits = nn::load_digits(o.data_path);
  const auto split_of = [&](std::uint64_t seed) { return nn::train_test_split(digits, 0.2, seed); };  // train_digits' split

  // --- lesson 26: pruning, from the models trained with the first seed --------------------------------------
  const nn::Split split = split_of(o.seed);
  report.test_examples = split.test.size();
  const nn::TrainResult cnn = trained("cnn", o.seed, o), mlp = trained("mlp", o.seed, o);
  report.cnn_accuracy = nn::evaluate(*cnn.model, split.test).accuracy;
  report.mlp_accuracy = nn::evaluate(*mlp.model, split.test).accuracy;
  report.cnn_cost = model_cost(*cnn.model, kImage);
  report.mlp_cost = model_cost(*mlp.model, kImage);
  for (const auto& [name, model] : {std::pair{std::string("cnn"), cnn.model}, std::pair{std::string("mlp"), mlp.model}})
    for (const Scope scope : {Scope::layer, Scope::global})
      for (const double target : o.sparsities)
        report.pruning.push_back(magnitude_row(name, *model, o.seed, scope, target, split, o.fine_tune));
  for (const double fraction : o.filter_fractions)
    report.pruning.push_back(filter_row(*cnn.model, fraction, split, o.fine_tune));
  const double gradual_target = o.sparsities.empty() ? 0.9 : *std::max_element(o.sparsities.begin(), o.sparsities.end());
  report.pruning.push_back(gradual_row(*mlp.model, o.seed, gradual_target, split, o.fine_tune));
  report.pruning.push_back(dense_row("cnn", *cnn.model, o.seed, split, o.fine_tune));
  report.pruning.push_back(dense_row("mlp", *mlp.model, o.seed, split, o.fine_tune));

  // --- lesson 27: distillation, one teacher and two students per seed -----------------------------------------
  std::vector<double> baseline, distilled;
  for (std::int64_t k = 0; k < o.seeds; ++k) {
    const std::uint64_t seed = o.seed + static_cast<std::uint64_t>(k);
    const nn::Split seed_split = k == 0 ? split : split_of(seed);
    const std::shared_ptr<nn::Sequential> teacher = k == 0 ? cnn.model : trained("cnn", seed, o).model;
    DistillOptions d = o.distill;
    d.seed = seed;
    // Same initial weights (student_mlp(seed)) and the same batches (d.seed) for both students.
    auto alone = student_mlp(seed, d.hidden), taught = student_mlp(seed, d.hidden);
    DistillRow row;
    row.seed = seed;
    row.teacher = nn::evaluate(*teacher, seed_split.test).accuracy;
    row.baseline = train_student(*alone, nullptr, seed_split, d).test_accuracy.back();
    row.distilled = train_student(*taught, teacher.get(), seed_split, d).test_accuracy.back();
    baseline.push_back(row.baseline);
    distilled.push_back(row.distilled);
    report.distillation.push_back(row);
  }
  std::tie(report.baseline_mean, report.baseline_std) = mean_and_std(baseline);
  std::tie(report.distilled_mean, report.distilled_std) = mean_and_std(distilled);
  return report;
}

}  // namespace gb::compress
