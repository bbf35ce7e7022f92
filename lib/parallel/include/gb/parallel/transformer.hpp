// transformer.hpp: a small transformer-style stack with real math (lessons 11, 14, 15): the MLP half of
// a transformer layer, x + W2 GeLU(W1 x), repeated. Each block is one child of an nn::Sequential, so
// pipeline_training.hpp cuts it into stages, and each block's residual path is what makes deep stacks
// trainable (and what Megatron's tensor parallelism splits: W1 by columns, W2 by rows; lesson 13).
//
// The strategies of lib/parallel must reproduce one device: a pipeline step equals a full-batch step,
// and data parallelism's averaged gradients equal the full batch's gradient (the mean of equal shards'
// means is the mean over the batch). tests/unit/parallel/transformer_equivalence_test.cpp measures both.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/core/tensor.hpp"
#include "gb/nn/layers.hpp"
#include "gb/nn/optim.hpp"

namespace gb::parallel {

// x + fc2(GeLU(fc1(x))), fc1: hidden -> ffn, fc2: ffn -> hidden (torch.nn.Linear's initialisation).
// Layer norm is left out: it would not change what is equal to what.
class ResidualMlpBlock : public nn::Module {
 public:
  // Throws gb::Error for hidden or ffn < 1.
  ResidualMlpBlock(std::int64_t hidden, std::int64_t ffn, Rng& rng);
  nn::Variable forward(const nn::Variable& x) override;  // x: [N, hidden]
  std::string describe() const override;
  std::shared_ptr<nn::Linear> fc1, fc2;
};

// `blocks` residual blocks of width `hidden` (ffn = 4 hidden when 0), from Rng(seed): the same seed
// builds the same weights, which is how replicas start equal. Throws gb::Error for blocks < 1.
std::shared_ptr<nn::Sequential> transformer_mlp_stack(int blocks, std::int64_t hidden, std::int64_t ffn, std::uint64_t seed);

// One data-parallel training step, DDP's arithmetic: replica r takes rows [r N/n, (r+1) N/n) of inputs
// and targets, computes its mean-squared error and its gradients, the gradients are averaged by ring
// all-reduces (mean) on a simulated cluster of n devices (the real values travel in the messages), and
// every replica's optimizer steps. Returns the mean loss over the batch before the step. Throws
// gb::Error for no replicas, a different number of optimizers, or n not dividing N.
double data_parallel_train_step(const std::vector<std::shared_ptr<nn::Sequential>>& replicas,
                                const std::vector<nn::Optimizer*>& optimizers, const Tensor& inputs, const Tensor& targets);

}  // namespace gb::parallel
