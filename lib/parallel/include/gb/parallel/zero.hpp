// zero.hpp: ZeRO and FSDP (lesson 12): sharding the model states of data parallelism
// (Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models").
//
// Mixed-precision training with Adam keeps, per parameter, 2 bytes of fp16 weights, 2 bytes of fp16
// gradients and K = 12 bytes of optimizer state (fp32 master weights, momentum, variance). Plain data
// parallelism replicates all of it on every one of the Nd devices. ZeRO partitions it instead, one
// 1/Nd shard per device, in three stages:
//   stage 0 (plain DP)                 (2 + 2 + K) Psi
//   stage 1, P_os (optimizer states)   2 Psi + 2 Psi + K Psi / Nd
//   stage 2, P_os+g (+ gradients)      2 Psi + (2 + K) Psi / Nd
//   stage 3, P_os+g+p (+ parameters)   (2 + 2 + K) Psi / Nd
// Communication: plain DP all-reduces the gradients (a reduce-scatter and an all-gather: 2 Psi per
// device); stages 1 and 2 reduce-scatter the gradients to their owners and all-gather the updated
// weights (2 Psi, no more); stage 3 all-gathers each layer's weights again in forward and in backward
// and reduce-scatters the gradients (3 Psi, 1.5x). PyTorch FSDP: SHARD_GRAD_OP ~ ZeRO-2, FULL_SHARD ~
// ZeRO-3, NO_SHARD ~ DDP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/parallel/sim.hpp"

namespace gb::parallel {

enum class FsdpStrategy { no_shard, shard_grad_op, full_shard };
int zero_stage_of(FsdpStrategy strategy);                  // 0, 2, 3
const char* fsdp_strategy_name(FsdpStrategy strategy);     // "NO_SHARD", "SHARD_GRAD_OP", "FULL_SHARD"
FsdpStrategy fsdp_strategy_from_name(const std::string& name);  // throws gb::Error for an unknown name

// The model states one device holds between steps, by kind, in bytes.
struct ModelStates {
  std::int64_t parameters = 0, gradients = 0, optimizer_states = 0;
  std::int64_t total() const { return parameters + gradients + optimizer_states; }
};

// A 1/Nd shard of n values, rounded up (the flat buffer is padded to a multiple of Nd, like FSDP's).
std::int64_t shard_size(std::int64_t n, int devices);

// What each device keeps of the model states of num_params parameters at ZeRO stage 0..3 over
// `devices` data-parallel ranks with k bytes of optimizer state per parameter: 2 bytes per fp16
// weight and gradient, k per optimizer state, each a full copy or a shard_size(num_params, devices)
// shard. Throws gb::Error for num_params < 1, devices < 1, a stage outside 0..3 or k < 0.
ModelStates zero_model_states(std::int64_t num_params, int devices, int stage, int k = 12);

// ---- one simulated training step ---------------------------------------------------------------------
struct ZeroConfig {
  std::int64_t num_params = 1 << 20;  // Psi, split into `layers` layers of equal size
  int devices = 4;                    // Nd, the data-parallel ranks
  int stage = 0;                      // 0..3
  int k = 12;                         // bytes of optimizer state per parameter
  int layers = 4;
  // Issue the real collectives (their tensors live in this machine's memory: Psi x devices is capped at
  // 2^27). Off: the step only allocates and frees (the paper's 7.5e9 parameters, memory only).
  bool communicate = true;
  double flops_per_parameter = 2 * 1024;  // forward flops per parameter (2 per sample, 1024 samples)
  ClusterSpec cluster;                    // devices is overwritten; memory_bytes 0 = unlimited
};

struct ZeroStep {
  Execution execution;
  std::vector<Task> tasks;           // the simulator's tasks (without their actions), by id
  ModelStates model_states;          // device 0: the peak of each kind of model state
  std::int64_t peak_bytes = 0;       // device 0: the peak of everything (model states + buffers)
  std::int64_t buffer_peak_bytes = 0;  // device 0: the peak of the transient buffers (gathered layers, full gradients)
  std::int64_t bytes_sent_per_rank = 0;  // device 0, over every collective of the step
  double step_seconds = 0;
  std::vector<std::string> collectives;  // what was issued, in order ("all_reduce layer 3", ...)
};

// One step of mixed-precision data-parallel training at the given stage, on a simulated cluster: the
// model states allocated at the start, forward and backward tasks per layer, the collectives of the
// stage (with their transient buffers), the optimizer updating this device's shard. Throws gb::Error
// for a bad configuration, and out of memory when the cluster has a capacity that the step exceeds.
ZeroStep simulate_zero_step(const ZeroConfig& config);

}  // namespace gb::parallel
