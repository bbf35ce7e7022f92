// zero.cpp: what each device keeps of the model states at each ZeRO stage, and FSDP's names for them.
#include "gb/parallel/zero.hpp"

#include "gb/core/error.hpp"

namespace gb::parallel {

int zero_stage_of(FsdpStrategy strategy) {
  switch (strategy) {
    case FsdpStrategy::no_shard: return 0;
    case FsdpStrategy::shard_grad_op: return 2;  // gradients and optimizer states sharded, weights kept
    case FsdpStrategy::full_shard: return 3;     // weights gathered layer by layer when needed
  }
  return 0;
}

const char* fsdp_strategy_name(FsdpStrategy strategy) {
  switch (strategy) {
    case FsdpStrategy::no_shard: return "NO_SHARD";
    case FsdpStrategy::shard_grad_op: return "SHARD_GRAD_OP";
    case FsdpStrategy::full_shard: return "FULL_SHARD";
  }
  return "?";
}

FsdpStrategy fsdp_strategy_from_name(const std::string& name) {
  for (FsdpStrategy s : {FsdpStrategy::no_shard, FsdpStrategy::shard_grad_op, FsdpStrategy::full_shard})
    if (name == fsdp_strategy_name(s)) return s;
  throw Error("fsdp_strategy_from_name", "NO_SHARD, SHARD_GRAD_OP or FULL_SHARD", name);
}

std::int64_t shard_size(std::int64_t n, int devices) {
  if (n < 0 || devices < 1)
    throw Error("shard_size", "n >= 0 values over devices >= 1", std::to_string(n) + " over " + std::to_string(devices));
  return (n + devices - 1) / devices;
}

ModelStates zero_model_states(std::int64_t num_params, int devices, int stage, int k) {
  if (num_params < 1) throw Error("zero_model_states", "num_params >= 1", std::to_string(num_params));
  if (devices < 1) throw Error("zero_model_states", "devices >= 1", std::to_string(devices));
  if (stage < 0 || stage > 3) throw Error("zero_model_states", "a ZeRO stage 0, 1, 2 or 3", std::to_string(stage));
  if (k < 0) throw Error("zero_model_states", "k >= 0 bytes of optimizer state per parameter", std::to_string(k));
  ModelStates bytes;
  // BEGIN EXERCISE(parallel.zero.memory_per_device)
  // Each kind is either replicated (all num_params) or sharded (a 1/Nd shard, rounded up): stage 1
  // shards the optimizer states, stage 2 also the gradients, stage 3 also the fp16 weights.
  const std::int64_t full = num_params, shard = shard_size(num_params, devices);
  bytes.parameters = 2 * (stage >= 3 ? shard : full);
  bytes.gradients = 2 * (stage >= 2 ? shard : full);
  bytes.optimizer_states = static_cast<std::int64_t>(k) * (stage >= 1 ? shard : full);
  // END EXERCISE
  return bytes;
}

}  // namespace gb::parallel
