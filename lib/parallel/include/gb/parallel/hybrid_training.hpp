// hybrid_training.hpp: data parallelism over pipelines with the real math (lesson 15): the 2D case of the
// 3D mesh (dp x 1 x pp), checked against one device.
//
// Replica r of dp is a pipeline of spec.stages x spec.chunks pieces (its own copy of the model, split by
// split_into_pieces). It takes rows [r N/dp, (r+1) N/dp) of the batch and runs the schedule's forwards and
// backwards (pipeline_forward_backward). Then the devices holding the same piece in every replica - the
// mesh's DP group of that stage - average their gradients with ring all-reduces (mean) on the simulated
// cluster, the real values travelling in the messages, and every replica's optimizer steps. The mean of the
// replicas' mean-loss gradients is the gradient of the mean loss over the whole batch, so the step equals
// one device's on the whole batch, up to the order of the f32 additions.
#pragma once

#include <memory>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/nn/layers.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/pipeline.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

struct DpPipelineStep {
  double loss = 0;                         // the mean loss over the whole batch, before the update
  std::vector<PipelineRun> pipelines;      // each replica's schedule, as run
  Execution gradient_sync;                 // the DP all-reduces on the dp x pp mesh's devices
  std::int64_t bytes_sent_per_device = 0;  // device 0's share of them
};

// replicas[r]: replica r's pieces; optimizers[r]: an optimizer over replica r's parameters. Throws
// gb::Error for no replicas, a replica with another number of pieces than spec asks, another number of
// optimizers, or N not a multiple of dp (each replica's rows must split into spec.microbatches, too).
DpPipelineStep dp_pipeline_train_step(const std::vector<std::vector<std::shared_ptr<nn::Sequential>>>& replicas,
                                      const std::vector<nn::Optimizer*>& optimizers, const Tensor& inputs,
                                      const Tensor& targets, const PipelineSpec& spec, ClusterSpec cluster = {});

}  // namespace gb::parallel
