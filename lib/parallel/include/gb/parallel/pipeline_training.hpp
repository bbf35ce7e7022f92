// pipeline_training.hpp: real pipeline-parallel training (lesson 14): the forwards and backwards of
// the simulated schedule run the real math, in the simulated order, as the tasks' actions.
//
// The model (an nn::Sequential) is cut into contiguous pieces that share its layers, so its parameters
// are the pieces' parameters. A micro-batch's activation that crosses to the next piece arrives as a
// message and becomes a leaf Variable (requires grad) there; the backward of that piece leaves the
// gradient of its loss in the leaf's grad(), and that gradient is the message sent back. The gradients
// of the parameters accumulate over the micro-batches (each micro-batch's loss weighted by its share
// n_i / N of the batch), so one step equals one step on the whole batch on one device, up to the f32
// rounding of a different summation order.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/nn/layers.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/pipeline.hpp"

namespace gb::parallel {

// Linear(widths[0], widths[1]), ReLU, Linear(widths[1], widths[2]), ReLU, ..., Linear (no ReLU last),
// initialised like torch.nn.Linear from Rng(seed). Throws gb::Error for fewer than 2 widths or a width < 1.
std::shared_ptr<nn::Sequential> mlp_stack(const std::vector<std::int64_t>& widths, std::uint64_t seed);

// `pieces` contiguous Sequentials holding model's layers (shared, not copied): piece k gets layers
// [k L / pieces, (k + 1) L / pieces). Throws gb::Error for pieces < 1 or more pieces than layers.
std::vector<std::shared_ptr<nn::Sequential>> split_into_pieces(const nn::Sequential& model, int pieces);

struct PipelineStepResult {
  double loss = 0;  // the batch's mean-squared error before the update: sum of n_i / N x loss_i
  PipelineRun run;  // the simulated execution the math ran in
};

// One training step of the pieces (spec.stages x spec.chunks of them, from split_into_pieces) on
// inputs [N, in] and targets [N, out] cut into spec.microbatches micro-batches of rows (the first N mod m
// one row longer): zero_grad, the schedule run with the real forwards (MSE loss on the last piece) and
// backwards as task actions (recomputation included: the forward keeps its input only and the backward
// runs it again), then optimizer.step(). Throws gb::Error for a wrong number of pieces, N < m, or
// inputs and targets of different lengths.
PipelineStepResult pipeline_train_step(const std::vector<std::shared_ptr<nn::Sequential>>& pieces, nn::Optimizer& optimizer,
                                       const Tensor& inputs, const Tensor& targets, const PipelineSpec& spec);

// The same step without the optimizer: the forwards and backwards of the schedule, leaving the batch's
// gradients accumulated in the pieces' parameters (zero them first). For data parallelism over
// pipelines (hybrid_training.hpp), which averages them across replicas before stepping.
PipelineStepResult pipeline_forward_backward(const std::vector<std::shared_ptr<nn::Sequential>>& pieces, const Tensor& inputs,
                                             const Tensor& targets, const PipelineSpec& spec);

}  // namespace gb::parallel
