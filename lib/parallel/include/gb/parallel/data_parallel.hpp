// data_parallel.hpp: data-parallel training with real math on simulated devices (lessons 11-12).
//
// N ranks each hold a replica of the digits MLP (lib/nn): rank r's replica starts from other random
// weights and is overwritten by rank 0's (the broadcast at the start of DDP). Each step every rank
// takes its 1/N of the global batch (rows r B/N .. (r+1) B/N - 1), runs forward and backward with
// lib/autodiff, and the gradients are averaged by the all-reduce of the DDP buckets (the real values
// travel through the ring's messages). The mean of the N shard-mean gradients is the gradient of the
// mean loss over the whole batch, so after the same optimizer step every replica holds what one device
// training on the whole batch would hold: equal up to the order of the f32 additions.
// BatchNorm would break this equality: each replica would normalise with the statistics of its own
// shard, not of the whole batch (torch needs SyncBatchNorm for it), so the model here is Linear + ReLU.
//
// A parameter server is the older design: workers push gradients to a server that owns the weights and
// pull the new weights back. Synchronous, it is the same average. Asynchronous, the server applies each
// gradient as it arrives, so a worker's gradient was computed on weights some versions old: staleness k
// (here every update uses gradients computed on the weights of k updates ago). It still trains, on a
// different path.
//
// ZeRO's sharded update (stages 1-3 compute the same numbers; they differ in what is kept between steps,
// see zero.hpp): the gradients are reduce-scattered so rank r receives the mean of its shard of the flat
// gradient only, updates its shard of the fp32 weights with the optimizer (whose state therefore exists
// only for that shard), and an all-gather gives every rank all the new weights.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gb/nn/data.hpp"
#include "gb/nn/layers.hpp"
#include "gb/parallel/ddp.hpp"

namespace gb::parallel {

struct DataParallelConfig {
  int devices = 4;
  std::int64_t batch_size = 64;   // the global batch; devices must divide it
  std::int64_t steps = 5;
  std::uint64_t seed = 0;         // rank 0's weights and the batch order
  std::string optimizer = "sgd";  // "sgd" (momentum 0.9) or "adam"
  double lr = 0.05;
  DdpOptions ddp;                 // default caps put the whole MLP (70 KB) in one bucket
  ClusterSpec cluster;            // `devices` is overwritten
};

struct TrainingRun {
  std::vector<double> losses;                // the mean loss over the global batch, before each step
  std::map<std::string, Tensor> parameters;  // rank 0's (or the server's) weights at the end (copies)
  double replica_spread = 0;                 // largest |difference| between two ranks' weights at the end
  std::vector<DdpStep> steps;                // data parallel: the simulation of each step
  std::int64_t bytes_sent_per_rank = 0;      // rank 0, summed over the steps
};

// The reference: one device, the whole batch, the same model, batches and optimizer.
TrainingRun train_single_device(const nn::Dataset& data, const DataParallelConfig& config);
// DDP: broadcast, shards, buckets, all-reduce (config.ddp), optimizer step on every rank.
TrainingRun train_data_parallel(const nn::Dataset& data, const DataParallelConfig& config);
// A parameter server with config.devices workers; staleness 0 is synchronous.
TrainingRun train_parameter_server(const nn::Dataset& data, const DataParallelConfig& config, int staleness);
// ZeRO's sharded optimizer step: reduce-scatter, update of the own shard, all-gather.
TrainingRun train_zero(const nn::Dataset& data, const DataParallelConfig& config);

// The layers of a Sequential as DDP sees them: the children that own parameters, with forward flops
// 2 x batch x parameters (a multiply-add per weight per example) and twice that for backward.
std::vector<DdpLayer> ddp_layers(const nn::Sequential& model, std::int64_t batch);
std::vector<DdpParameter> ddp_parameters(const nn::Module& model);

}  // namespace gb::parallel
