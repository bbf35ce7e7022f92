// prune_train.cpp: retraining with masks, iterative prune-and-retrain (Han et al. 2015) and the gradual
// schedule (Zhu and Gupta 2017) (prune.hpp).
#include <algorithm>
#include <cmath>
#include <functional>

#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/models.hpp"
#include "gb/nn/optim.hpp"
#include "gb/nn/train.hpp"
#include "prune_internal.hpp"

namespace gb::compress {

namespace {

void check_options(const std::string& op, const FineTuneOptions& o) {
  if (o.epochs < 1) throw Error(op, "epochs >= 1", std::to_string(o.epochs));
  if (!(o.lr > 0) || !std::isfinite(o.lr)) throw Error(op, "a learning rate > 0", std::to_string(o.lr));
  if (o.batch_size < 1) throw Error(op, "a batch size >= 1", std::to_string(o.batch_size));
  if (o.max_batches < 0) throw Error(op, "max_batches >= 0 (0: all)", std::to_string(o.max_batches));
}

std::int64_t batches_per_epoch(const nn::DataLoader& loader, const FineTuneOptions& o) {
  const std::int64_t all = loader.batches_per_epoch();
  return o.max_batches > 0 ? std::min(all, o.max_batches) : all;
}

// Called before optimizer step `step` (0, 1, ...): the gradual schedule recomputes the masks there.
using BeforeStep = std::function<void(std::int64_t step, Masks& masks)>;

// The training loop of lesson 01 with one line more: after every optimizer step the pruned weights
// are set back to 0 (weight *= mask). Adam would otherwise move them again, since their gradient is
// not zero: a pruned connection still "wants" to carry signal, and the mask is what says no.
nn::History train_with_masks(nn::Module& model, Masks& masks, const nn::Split& split, const FineTuneOptions& o,
                             const BeforeStep& before_step) {
  // The same seed gives the same run: the batch order comes from the loader, Dropout from its own Rngs.
  std::uint64_t stream = 2000;
  for (auto& [name, rng] : nn::model_rngs(model)) *rng = Rng(o.seed, stream++);
  nn::AdamOptions adam;
  adam.lr = o.lr;
  nn::Adam optimizer(model.parameters(), adam);
  const nn::DataLoader loader(split.train, o.batch_size, /*shuffle=*/true, o.seed);
  const std::int64_t batches = batches_per_epoch(loader, o);
  apply_masks(model, masks);  // start from the pruned weights
  nn::History history;
  std::int64_t step = 0;
  for (std::int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const std::vector<std::int64_t> order = loader.epoch_order(epoch);
    double loss_sum = 0, correct = 0, seen = 0;
    for (std::int64_t i = 0; i < batches; ++i, ++step) {
      if (before_step) before_step(step, masks);
      model.train();
      const nn::Batch b = loader.batch(order, i);
      const nn::Variable logits = model(nn::Variable(b.images));
      const nn::Variable loss = nn::cross_entropy(logits, b.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      apply_masks(model, masks);  // what was pruned stays pruned
      const double value = loss.value().item();
      const auto n = static_cast<double>(b.labels.numel());
      loss_sum += value * n;
      correct += std::round(nn::accuracy(logits.value(), b.labels) * n);
      seen += n;
      history.step_loss.push_back(value);
    }
    const nn::Evaluation test = nn::evaluate(model, split.test);
    history.train_loss.push_back(loss_sum / seen);
    history.train_accuracy.push_back(correct / seen);
    history.test_loss.push_back(test.loss);
    history.test_accuracy.push_back(test.accuracy);
    history.lr.push_back(o.lr);
    history.seconds.push_back(0.0);  // not measured: the runs are compared by their numbers, not their time
  }
  model.eval();
  return history;
}

}  // namespace

// --- retraining with masks --------------------------------------------------------------------------------

nn::History fine_tune(nn::Module& model, const Masks& masks, const nn::Split& split, const FineTuneOptions& options) {
  check_options("fine_tune", options);
  Masks fixed = masks;
  return train_with_masks(model, fixed, split, options, nullptr);
}

// --- iterative prune and retrain --------------------------------------------------------------------------

std::vector<PruneRound> iterative_pruning(nn::Module& model, const nn::Split& split, const std::vector<double>& targets,
                                          Scope scope, const FineTuneOptions& options) {
  const std::string op = "iterative_pruning";
  check_options(op, options);
  if (targets.empty()) throw Error(op, "at least one target sparsity", "none");
  for (std::size_t i = 0; i < targets.size(); ++i) {
    detail::check_unit_interval(op, "every target sparsity", targets[i]);
    if (i > 0 && !(targets[i] > targets[i - 1]))
      throw Error(op, "rising target sparsities", std::to_string(targets[i - 1]) + " then " + std::to_string(targets[i]));
  }
  std::vector<PruneRound> rounds;
  for (double target : targets) {
    // The weights pruned in the rounds before are exactly 0, the smallest |w| there is, so they are
    // the first to go again: each round's mask contains the last one.
    PruneRound r;
    r.target = target;
    r.masks = magnitude_masks(model, target, scope);
    apply_masks(model, r.masks);
    r.sparsity = count_sparsity(model).fraction();
    r.accuracy_pruned = nn::evaluate(model, split.test).accuracy;
    r.accuracy = fine_tune(model, r.masks, split, options).test_accuracy.back();
    rounds.push_back(std::move(r));
  }
  return rounds;
}

// --- the gradual schedule ---------------------------------------------------------------------------------

void GradualSchedule::check() const {
  const std::string op = "GradualSchedule";
  detail::check_unit_interval(op, "initial_sparsity", initial_sparsity);
  detail::check_unit_interval(op, "final_sparsity", final_sparsity);
  if (initial_sparsity > final_sparsity)
    throw Error(op, "initial_sparsity <= final_sparsity", std::to_string(initial_sparsity) + " > " + std::to_string(final_sparsity));
  if (frequency < 1) throw Error(op, "frequency >= 1", std::to_string(frequency));
  if (pruning_steps < 1) throw Error(op, "pruning_steps >= 1", std::to_string(pruning_steps));
  if (begin_step < 0) throw Error(op, "begin_step >= 0", std::to_string(begin_step));
}

double GradualSchedule::sparsity_at(std::int64_t step) const {
  check();
  if (step < begin_step) return initial_sparsity;
  if (step >= end_step()) return final_sparsity;
  // The sparsity only changes at pruning events: between two of them it holds the last one's value.
  const std::int64_t last_event = begin_step + frequency * ((step - begin_step) / frequency);
  // s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3: the cube makes the first increments the largest.
  const double progress = static_cast<double>(last_event - begin_step) / static_cast<double>(frequency * pruning_steps);
  return final_sparsity + (initial_sparsity - final_sparsity) * std::pow(1.0 - progress, 3);
}

bool GradualSchedule::is_pruning_step(std::int64_t step) const {
  check();
  return step >= begin_step && step <= end_step() && (step - begin_step) % frequency == 0;
}

GradualResult gradual_pruning(nn::Module& model, const nn::Split& split, Scope scope, const GradualOptions& options) {
  const std::string op = "gradual_pruning";
  const GradualSchedule& schedule = options.schedule;
  schedule.check();
  check_options(op, options.train);
  const nn::DataLoader loader(split.train, options.train.batch_size, /*shuffle=*/false);
  const std::int64_t steps = options.train.epochs * batches_per_epoch(loader, options.train);
  if (steps <= schedule.end_step())
    throw Error(op, "training of more than end_step = " + std::to_string(schedule.end_step()) + " steps (epochs x batches)",
                std::to_string(steps) + " steps");
  if (!options.watch.empty()) {
    const std::vector<std::string> prunable = prunable_parameters(model);
    if (std::find(prunable.begin(), prunable.end(), options.watch) == prunable.end())
      throw Error(op, "watch: the name of a prunable weight (or \"\")", "'" + options.watch + "'");
  }
  GradualResult result;
  const BeforeStep prune_on_schedule = [&](std::int64_t step, Masks& masks) {
    if (!schedule.is_pruning_step(step)) return;
    GradualEvent e;
    e.step = step;
    e.target = schedule.sparsity_at(step);
    masks = magnitude_masks(model, e.target, scope);
    apply_masks(model, masks);
    e.sparsity = count_sparsity(model).fraction();
    e.accuracy = nn::evaluate(model, split.test).accuracy;
    if (!options.watch.empty()) e.watched_mask = masks.at(options.watch).clone();
    result.events.push_back(std::move(e));
  };
  Masks masks;  // none until the first event: plain training before t0
  result.history = train_with_masks(model, masks, split, options.train, prune_on_schedule);
  result.accuracy = result.history.test_accuracy.back();
  return result;
}

}  // namespace gb::compress
