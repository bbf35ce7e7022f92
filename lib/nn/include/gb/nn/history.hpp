// history.hpp: what a training run measured, epoch by epoch and step by step (the learning curves).
#pragma once

#include <cstdint>
#include <vector>

namespace gb::nn {

struct History {
  // One entry per epoch. Train loss and accuracy are averaged over the epoch's batches as they were
  // trained (weighted by batch size); test loss and accuracy are measured after the epoch, in eval mode.
  std::vector<double> train_loss, train_accuracy, test_loss, test_accuracy;
  std::vector<double> lr;       // the learning rate the epoch was trained with
  std::vector<double> seconds;  // wall time of the epoch (the one entry that differs between runs)
  std::vector<double> step_loss;  // one entry per optimizer step: the batch's loss

  std::int64_t epochs() const { return static_cast<std::int64_t>(train_loss.size()); }
};

}  // namespace gb::nn
