// checkpoint_fuzz_model.hpp: the tiny training run whose checkpoint seeds fuzz_checkpoint
// (corpus/checkpoint/tiny.gbckpt), shared by the harness and by tests/unit/nn/checkpoint_test.cpp,
// which checks that the seed still loads (and rewrites it when GB_REGENERATE_FUZZ_SEED=1).
#pragma once

#include <string>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/nn/checkpoint.hpp"

namespace gb::fuzz {

// y = x * weight + bias, with a buffer: a parameter pair, a buffer and an i64 dtype in the state_dict.
class TinyAffine : public nn::Module {
 public:
  TinyAffine() {
    weight = register_parameter("weight", Tensor::from_values({0.5, -1.0, 2.0}, {3}));
    bias = register_parameter("bias", Tensor::from_values({0.1, 0.2, 0.3}, {3}));
    register_buffer("calls", Tensor::zeros({}, DType::i64));
  }
  autodiff::Variable forward(const autodiff::Variable& x) override {
    return autodiff::add(autodiff::mul(x, weight), bias);
  }
  std::string describe() const override { return "TinyAffine()"; }
  autodiff::Variable weight, bias;
};

// The model, an Adam optimizer, a StepLR schedule and one generator: every section of the format.
struct TinyRun {
  TinyAffine model;
  nn::Adam optimizer{model.parameters(), {}};
  nn::StepLR schedule{optimizer, 1, 0.5};
  Rng rng{7};
  nn::RngList rngs() { return {{"noise", &rng}}; }

  // Two steps and one epoch, so the optimizer and the history have state.
  nn::TrainingState train() {
    nn::TrainingState state;
    state.seed = 7;
    state.batch_size = 2;
    for (int s = 0; s < 2; ++s) {
      optimizer.zero_grad();
      autodiff::sum(model(autodiff::Variable(rng.normal(Shape{3})))).backward();
      optimizer.step();
      state.history.step_loss.push_back(1.0 / (s + 1));
    }
    schedule.step();
    state.epoch = 1;
    state.step = 2;
    for (auto* series : {&state.history.train_loss, &state.history.train_accuracy, &state.history.test_loss,
                         &state.history.test_accuracy, &state.history.lr, &state.history.seconds})
      series->push_back(0.5);
    return state;
  }
};

}  // namespace gb::fuzz
