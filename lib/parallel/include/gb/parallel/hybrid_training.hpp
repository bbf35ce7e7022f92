// hybrid_training.hpp: hybrid parallelism with the real math (lesson 15), checked against one device:
// data parallelism over pipelines (dp x 1 x pp), and all three at once (dp x tp x pp) on lesson 13's model.
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
#include "gb/parallel/mesh.hpp"
#include "gb/parallel/pipeline.hpp"
#include "gb/parallel/sim.hpp"
#include "gb/parallel/tensor_parallel_model.hpp"

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

// Lesson 13's model (vocabulary-parallel embedding, layers of x + attention(x), x + MLP(x), vocabulary-
// parallel output and loss) trained on a dp x tp x pp mesh. Replica d takes sequences [d B/dp, (d+1) B/dp);
// its pipeline stage s holds layers [s L/pp, (s+1) L/pp) split over the TP group mesh.tp_group of (d, s),
// the embedding on stage 0 and the output layer on the last. The stages take turns on the whole replica
// batch (one micro-batch: the naive schedule), each TP rank sending its copy of the activation to the same
// TP rank of the next stage (and the gradient back), every message a task carrying the values. After the
// backward each (stage, TP rank)'s DP group averages its shards' gradients (ring all-reduce, mean) and
// every rank steps plain SGD (lr). Returns replica 0's weights put back together, the losses (mean over
// the batch) and the last step's execution and collectives (TP and pipeline; the DP average runs on its
// own simulator). Throws gb::Error when dp does not divide the batch, or as train_tensor_parallel does.
TpTraining train_3d(const TpModelSpec& spec, const TpModelWeights& init, const Tensor& ids, const Tensor& labels,
                    const Mesh& mesh, int steps, double lr, ClusterSpec cluster = {});

}  // namespace gb::parallel
