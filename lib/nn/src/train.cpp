// train.cpp: the training loop, evaluation, and the digits run from a TrainConfig (train.hpp).
#include "gb/nn/train.hpp"

#include <unistd.h>

#include <cmath>
#include <iostream>

#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/models.hpp"
#include "progress.hpp"

namespace gb::nn {

// --- the configuration ------------------------------------------------------------------------------------

std::int64_t default_epochs(const std::string& model) {
  if (model == "mlp") return 20;
  if (model == "cnn") return 12;
  throw Error("train", "a model name, mlp or cnn", "'" + model + "'");
}

double default_lr(const std::string& optimizer) {
  if (optimizer == "sgd") return 0.05;
  if (optimizer == "adam" || optimizer == "adamw") return 3e-3;
  throw Error("train", "an optimizer name, sgd, adam or adamw", "'" + optimizer + "'");
}

void check_config(const TrainConfig& c) {
  default_epochs(c.model);      // throws for an unknown model
  default_lr(c.optimizer);      // ... or optimizer
  if (c.schedule != "none" && c.schedule != "step" && c.schedule != "cosine")
    throw Error("train", "a schedule name, none, step or cosine", "'" + c.schedule + "'");
  if (c.epochs < 0) throw Error("train", "epochs >= 1 (or 0 for the default)", std::to_string(c.epochs));
  if (c.batch_size < 1) throw Error("train", "a batch size >= 1", std::to_string(c.batch_size));
  if (!std::isfinite(c.lr) || c.lr < 0) throw Error("train", "a learning rate > 0 (or 0 for the default)", std::to_string(c.lr));
  if (!std::isfinite(c.weight_decay) || c.weight_decay < 0)
    throw Error("train", "a weight decay >= 0", std::to_string(c.weight_decay));
  if (c.stop_after < 0) throw Error("train", "stop_after >= 1 (or 0 to run every epoch)", std::to_string(c.stop_after));
  if (c.max_batches < 0) throw Error("train", "max_batches >= 0", std::to_string(c.max_batches));
}

namespace {

std::unique_ptr<Optimizer> make_optimizer(const TrainConfig& c, std::vector<Variable> parameters) {
  const double lr = c.lr > 0 ? c.lr : default_lr(c.optimizer);
  if (c.optimizer == "sgd") {
    SGDOptions o;
    o.lr = lr;
    o.momentum = 0.9;
    o.weight_decay = c.weight_decay;
    return std::make_unique<SGD>(std::move(parameters), o);
  }
  AdamOptions o;
  o.lr = lr;
  o.weight_decay = c.weight_decay;
  if (c.optimizer == "adamw") return std::make_unique<AdamW>(std::move(parameters), o);
  return std::make_unique<Adam>(std::move(parameters), o);
}

std::unique_ptr<LRScheduler> make_schedule(const TrainConfig& c, Optimizer& optimizer, std::int64_t epochs) {
  if (c.schedule == "step") return std::make_unique<StepLR>(optimizer, std::max<std::int64_t>(1, epochs / 3), 0.5);
  if (c.schedule == "cosine") return std::make_unique<CosineAnnealingLR>(optimizer, epochs);
  return nullptr;
}

}  // namespace

// --- evaluation -------------------------------------------------------------------------------------------

Evaluation evaluate(Module& model, const Dataset& data, std::int64_t batch_size) {
  if (data.size() == 0) throw Error("evaluate", "a non-empty data set", "0 examples");
  if (batch_size < 1) throw Error("evaluate", "a batch size >= 1", std::to_string(batch_size));
  const bool was_training = model.training();
  model.eval();                // BatchNorm uses its running statistics, Dropout keeps everything
  autodiff::NoGradGuard no_tape;  // nothing will be differentiated: record nothing
  DataLoader batches(data, batch_size, /*shuffle=*/false);
  const std::vector<std::int64_t> order = batches.epoch_order(0);
  double loss_sum = 0, correct = 0;
  for (std::int64_t i = 0; i < batches.batches_per_epoch(); ++i) {
    const Batch b = batches.batch(order, i);
    const auto n = static_cast<double>(b.labels.numel());
    const Variable logits = model(Variable(b.images));
    loss_sum += cross_entropy(logits, b.labels).value().item() * n;
    correct += std::round(accuracy(logits.value(), b.labels) * n);
  }
  model.train(was_training);
  const auto total = static_cast<double>(data.size());
  return {loss_sum / total, correct / total};
}

// --- the loop ---------------------------------------------------------------------------------------------

void fit(Module& model, Optimizer& optimizer, LRScheduler* scheduler, const DataLoader& train, const Dataset& test,
         const RngList& rngs, TrainingState& state, const FitOptions& options) {
  if (options.epochs < 1) throw Error("fit", "epochs >= 1", std::to_string(options.epochs));
  ProgressBar bar(options.progress, options.interactive, options.epochs);
  const std::int64_t last = options.stop_after > 0 ? std::min(options.stop_after, options.epochs) : options.epochs;
  for (std::int64_t epoch = state.epoch; epoch < last; ++epoch) {
    model.train();
    const std::vector<std::int64_t> order = train.epoch_order(epoch);  // depends on (seed, epoch) only
    std::int64_t batches = train.batches_per_epoch();
    if (options.max_batches > 0) batches = std::min(batches, options.max_batches);
    const double lr = optimizer.lr();
    bar.start_epoch(epoch, batches);
    double loss_sum = 0, correct = 0, seen = 0;
    for (std::int64_t i = 0; i < batches; ++i) {
      const Batch b = train.batch(order, i);
      const Variable logits = model(Variable(b.images));      // forward: the tape records every op
      const Variable loss = cross_entropy(logits, b.labels);  // mean over the batch
      optimizer.zero_grad();                                   // forget the previous batch's gradients
      loss.backward();                                         // d loss / d every parameter
      optimizer.step();                                        // p -= (a function of) the gradient
      const double value = loss.value().item();
      const auto n = static_cast<double>(b.labels.numel());
      loss_sum += value * n;
      correct += std::round(accuracy(logits.value(), b.labels) * n);
      seen += n;
      state.history.step_loss.push_back(value);
      state.step += 1;
      bar.update(i + 1, loss_sum / seen, correct / seen);
    }
    if (scheduler != nullptr) scheduler->step();  // the learning rate of the next epoch
    const Evaluation on_test = evaluate(model, test);
    const double seconds = bar.elapsed();
    state.history.train_loss.push_back(loss_sum / seen);
    state.history.train_accuracy.push_back(correct / seen);
    state.history.test_loss.push_back(on_test.loss);
    state.history.test_accuracy.push_back(on_test.accuracy);
    state.history.lr.push_back(lr);
    state.history.seconds.push_back(seconds);
    state.epoch = epoch + 1;
    if (!options.checkpoint.empty()) save_checkpoint(options.checkpoint, model, optimizer, scheduler, rngs, state);
    bar.end_epoch(loss_sum / seen, correct / seen, on_test.loss, on_test.accuracy, lr, seconds);
  }
}

// --- the digits run ---------------------------------------------------------------------------------------

TrainResult train_digits(const TrainConfig& config, std::ostream* progress, bool interactive) {
  check_config(config);
  const std::int64_t epochs = config.epochs > 0 ? config.epochs : default_epochs(config.model);
  const Split split = train_test_split(load_digits(config.data_path), config.test_fraction, config.seed);
  TrainResult result;
  result.model = digits_model(config.model, config.seed);
  std::unique_ptr<Optimizer> optimizer = make_optimizer(config, result.model->parameters());
  std::unique_ptr<LRScheduler> scheduler = make_schedule(config, *optimizer, epochs);
  const RngList rngs = model_rngs(*result.model);
  TrainingState state;
  state.seed = config.seed;
  state.batch_size = config.batch_size;
  if (!config.resume.empty()) {
    // The model, optimizer and schedule above were built from the config; the checkpoint overwrites
    // their state. The data order comes from (seed, epoch), so the seed and batch size must agree.
    state = load_checkpoint(config.resume, *result.model, *optimizer, scheduler.get(), rngs);
    if (state.seed != config.seed || state.batch_size != config.batch_size)
      throw Error("train --resume", "a checkpoint of seed " + std::to_string(config.seed) + " and batch size " +
                                        std::to_string(config.batch_size),
                  "seed " + std::to_string(state.seed) + " and batch size " + std::to_string(state.batch_size));
    if (state.epoch > epochs)
      throw Error("train --resume", "a checkpoint of at most " + std::to_string(epochs) + " epochs",
                  std::to_string(state.epoch) + " epochs");
  }
  const DataLoader loader(split.train, config.batch_size, /*shuffle=*/true, config.seed);
  FitOptions options;
  options.epochs = epochs;
  options.stop_after = config.stop_after;
  options.max_batches = config.max_batches;
  options.checkpoint = config.checkpoint;
  options.progress = progress;
  options.interactive = interactive;
  fit(*result.model, *optimizer, scheduler.get(), loader, split.test, rngs, state, options);
  result.history = state.history;
  result.test = evaluate(*result.model, split.test);
  return result;
}

bool is_terminal(const std::ostream& out) {
  if (out.rdbuf() == std::cout.rdbuf()) return ::isatty(STDOUT_FILENO) == 1;
  if (out.rdbuf() == std::cerr.rdbuf()) return ::isatty(STDERR_FILENO) == 1;
  return false;
}

}  // namespace gb::nn
