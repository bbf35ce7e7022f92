// train.hpp: the training loop of lesson 01, its evaluation, progress bar, checkpoints and curves.
//
// One epoch is one pass over the training set in mini-batches. For each batch:
//   logits = model(images)                      forward (the tape records every op)
//   loss   = cross_entropy(logits, labels)      one number: how wrong the model is on this batch
//   optimizer.zero_grad(); loss.backward()       reverse mode: d loss / d every parameter
//   optimizer.step()                             move each parameter a little against its gradient
// After the epoch: the schedule sets the next learning rate, the model is evaluated on the test set
// (eval mode: BatchNorm's running statistics, no Dropout; no tape), the History grows by one entry,
// and a checkpoint is written (when asked), so the run can be resumed from any epoch boundary.
//
// Everything is seeded: two runs with the same TrainConfig give the same losses, bit for bit, and a
// run resumed from its epoch-e checkpoint gives the same losses and parameters as one never stopped.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include "gb/nn/checkpoint.hpp"
#include "gb/nn/data.hpp"
#include "gb/nn/history.hpp"
#include "gb/nn/layers.hpp"
#include "gb/nn/optim.hpp"
#include "gb/trace/recording.hpp"

namespace gb::nn {

struct TrainConfig {
  std::string model = "cnn";          // "mlp" or "cnn" (models.hpp)
  std::int64_t epochs = 0;            // 0: the model's default (default_epochs); the schedule spans them
  std::int64_t stop_after = 0;        // stop once this many epochs are done (0: all): an interrupted run
  std::int64_t batch_size = 32;
  std::string optimizer = "adam";     // "sgd" (with momentum 0.9), "adam" or "adamw"
  double lr = 0;                      // 0: the optimizer's default (default_lr)
  double weight_decay = 0;            // passed to the optimizer (L2 for sgd/adam, decoupled for adamw)
  std::string schedule = "cosine";    // "none", "step" (x0.5 every epochs/3) or "cosine" (to 0 over the run)
  std::uint64_t seed = 0;             // initial weights, the split, each epoch's batch order, Dropout
  double test_fraction = 0.2;         // of each class, held out (train_test_split)
  std::string checkpoint;             // written at the end of every epoch when not empty
  std::string resume;                 // a checkpoint of this same configuration to continue from
  std::string data_path = default_digits_path();
  std::int64_t max_batches = 0;       // per epoch; 0: all (tests use a few)
};

std::int64_t default_epochs(const std::string& model);
double default_lr(const std::string& optimizer);
// Throws gb::Error naming the field for an unknown model, optimizer or schedule, or a bad number.
void check_config(const TrainConfig& config);

struct Evaluation {
  double loss = 0;      // mean cross-entropy over the examples
  double accuracy = 0;  // fraction of examples whose largest logit is the label
};
// In eval mode and without a tape; restores the model's mode afterwards.
Evaluation evaluate(Module& model, const Dataset& data, std::int64_t batch_size = 256);

// What fit() needs besides the model and the data.
struct FitOptions {
  std::int64_t epochs = 1;       // the length of the run: train until state.epoch == epochs ...
  std::int64_t stop_after = 0;   // ... or until state.epoch == stop_after, when > 0 (an interrupted run)
  std::int64_t max_batches = 0;  // per epoch; 0: all
  std::string checkpoint;        // when not empty, written after every epoch
  std::ostream* progress = nullptr;  // the progress bar goes here (nullptr: silent)
  bool interactive = false;          // redraw one line with '\r' (a terminal) or print one line per epoch
};

// The loop: continues the run described by `state` (epoch 0 for a new run) up to options.epochs (or
// stop_after), appending to state.history and advancing state.epoch and state.step.
void fit(Module& model, Optimizer& optimizer, LRScheduler* scheduler, const DataLoader& train, const Dataset& test,
         const RngList& rngs, TrainingState& state, const FitOptions& options);

// The lesson's whole run on the digits: load and split the data, build the model, optimizer and
// schedule from the config (or restore them from config.resume), fit, and evaluate.
struct TrainResult {
  std::shared_ptr<Sequential> model;
  History history;
  Evaluation test;  // after the last epoch
};
TrainResult train_digits(const TrainConfig& config, std::ostream* progress = nullptr, bool interactive = false);

// Is `out` std::cout or std::cerr attached to a terminal (so '\r' redraws a line)?
bool is_terminal(const std::ostream& out);

// The learning curves as a Recording (lesson "01-what-a-framework-does"): a "loss" plot (train and
// test series) and an "accuracy" plot, one Step per epoch adding that epoch's points.
trace::Recording training_recording(const History& history, const TrainConfig& config);

}  // namespace gb::nn
