// rank_training.hpp: the training loops of lessons 11-14 written as rank programs (SPMD), once, for
// every transport of communicator.hpp: simulated ranks (threads) or MPI processes (`mpirun -np N
// glassbox mpi-train ...`).
//
// The global-view trainers (data_parallel.hpp, tensor_parallel_model.hpp, pipeline_training.hpp) hold
// every rank in one program and move values through the simulator's tasks. Here each rank holds only
// its own part (its replica, its shard, its stage) and calls the communicator, as torch.distributed,
// Megatron-LM and DeepSpeed programs do. Every rank program is deterministic and its collectives are
// the ring of communicator.hpp, so the same program gives, rank by rank, bit-for-bit the same numbers on
// the simulated transport and on MPI; and it reproduces the global-view trainer (bit for bit where the
// arithmetic is the same, else within the tolerance stated at each function) and one device.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/nn/data.hpp"
#include "gb/parallel/communicator.hpp"
#include "gb/parallel/data_parallel.hpp"
#include "gb/parallel/pipeline.hpp"
#include "gb/parallel/tensor_parallel_model.hpp"

namespace gb::parallel {

struct RankRun {
  std::vector<double> losses;                // the global batch's mean loss before each step (equal on every rank)
  std::map<std::string, Tensor> parameters;  // what this rank holds at the end (copies), by name
  CommStats stats;                           // this rank's traffic over every group it used
};

// ---- data parallelism (lesson 11) and ZeRO (lesson 12) on the digits MLP ---------------------------
// world.size() plays config.devices (gb::Error if they differ). DDP: rank 0's weights broadcast, each
// rank's rows of the global batch (shard_of), gradients averaged bucket by bucket (assign_buckets with
// config.ddp) by the ring all-reduce (mean), the optimizer step on every replica. parameters: this rank's
// replica (state_dict names). Bit for bit train_data_parallel's rank-0 weights.
RankRun ddp_rank_train(Communicator& world, const nn::Dataset& data, const DataParallelConfig& config);
// ZeRO: the flat gradient reduce-scattered (mean), Adam/SGD on this rank's fp32 shard only, all-gather
// of the new weights. parameters: the replica after the last all-gather, plus "shard" (this rank's
// master shard). Bit for bit train_zero's weights.
RankRun zero_rank_train(Communicator& world, const nn::Dataset& data, const DataParallelConfig& config);

// ---- tensor parallelism (lesson 13) ---------------------------------------------------------------
// Lesson 13's model (tensor_parallel_model.hpp) on a TP group of world.size() ranks, each rank holding
// only its shards (tp_shard: A, Q, K, V by columns, B and the output projection by rows, the embedding
// and the head by vocabulary ranges) and its copies of the replicated biases. f and g are autograd
// operations whose forward or backward calls world.all_reduce, as in Megatron-LM's mappings.py.
// parameters: this rank's shards, named like "layer0.mlp.a" (its slice), "embedding", "head", and the
// replicated ones ("layer0.mlp.b_bias"). Bit for bit train_tensor_parallel (the same partial sums added by
// the same ring); train_single_device within 1e-5 (there a row-parallel layer's sum is one matmul's).
RankRun tp_rank_train(Communicator& world, const TpModelSpec& spec, const TpModelWeights& init, const Tensor& ids,
                      const Tensor& labels, int steps, double lr);

// ---- pipeline parallelism (lesson 14) -------------------------------------------------------------
struct PipelineRankConfig {
  std::vector<std::int64_t> widths = {8, 16, 16, 16, 4};  // mlp_stack(widths, seed)
  std::uint64_t seed = 0;
  Schedule schedule = Schedule::one_f_one_b;  // gpipe or one_f_one_b (others: gb::Error)
  int microbatches = 4;
  int steps = 3;
  double lr = 0.05;  // plain SGD
};
// Stage r = world rank r holds piece r of split_into_pieces(mlp_stack(widths, seed), world.size()); it
// runs pipeline.hpp's order for its stage (gpipe_order / one_f_one_b_order): F receives the activation
// from r - 1 (stage 0 slices inputs), runs its piece, sends to r + 1 (the last stage computes the MSE
// loss, weighted n_i / N); B receives the gradient from r + 1, runs the backward, sends its input's
// gradient to r - 1. Then SGD on its piece. parameters: the stage's piece (state_dict names, prefixed
// "stage<r>."). Bit for bit pipeline_train_step on the same model (weights of each stage and losses: the
// same micro-batch order per stage, the losses summed in micro-batch order on the last stage).
RankRun pp_rank_train(Communicator& world, const PipelineRankConfig& config, const Tensor& inputs, const Tensor& targets);

}  // namespace gb::parallel
