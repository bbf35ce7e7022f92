// zero_train.cpp: ZeRO's sharded optimizer step with real math on the digits MLP (see data_parallel.hpp).
//
// The parameters are laid end to end in one flat buffer, padded to a multiple of the N ranks, and cut
// into N shards. Each step: every rank computes the gradient of its part of the batch; a reduce-scatter
// (the mean) leaves rank r with the averaged gradient of shard r only; rank r's optimizer, which holds
// state for shard r only (1/N of Adam's moments), updates its fp32 shard; an all-gather gives every rank
// the whole updated buffer, which is copied back into its replica.
#include "data_parallel_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/zero.hpp"

namespace gb::parallel {

using namespace detail;
using autodiff::Variable;

TrainingRun train_zero(const nn::Dataset& data, const DataParallelConfig& config) {
  check_config(config, data, "train_zero");
  const int n = config.devices;
  std::vector<int> group;
  std::vector<std::shared_ptr<nn::Sequential>> replicas;
  for (int r = 0; r < n; ++r) {
    group.push_back(r);
    replicas.push_back(make_model(config.seed));  // equal weights (DDP's broadcast, already done)
  }
  const std::int64_t psi = replicas[0]->parameter_count();
  const std::int64_t shard = shard_size(psi, n), padded = shard * n;
  // Rank r's fp32 master shard: a leaf Variable the optimizer updates, its state 1/N of the whole.
  std::vector<Variable> master;
  std::vector<std::unique_ptr<nn::Optimizer>> optimizers;
  {
    std::vector<Tensor> values;
    for (const Variable& p : replicas[0]->parameters()) values.push_back(p.value());
    const Tensor flat = flatten(values, padded);
    for (int r = 0; r < n; ++r) {
      master.emplace_back(flat.slice(0, r * shard, (r + 1) * shard).clone(), true, "shard " + std::to_string(r));
      optimizers.push_back(make_optimizer(config, {master[r]}));
    }
  }
  ClusterSpec spec = config.cluster;
  spec.devices = n;
  TrainingRun run;
  for (std::int64_t s = 0; s < config.steps; ++s) {
    const nn::Batch batch = global_batch(data, config, s);
    std::vector<Tensor> flat_grads, grad_shards, weight_shards, gathered;
    double loss = 0;
    for (int r = 0; r < n; ++r) {
      loss += forward_backward(*replicas[r], shard_of(batch, r, n)) / n;
      flat_grads.push_back(flatten(gradients(*replicas[r]), padded));
      grad_shards.push_back(Tensor::zeros({shard}));
      gathered.push_back(Tensor::zeros({padded}));
    }
    run.losses.push_back(loss);
    Simulator sim{Cluster(spec)};
    // 1. reduce-scatter: rank r receives the mean gradient of its shard.
    const Issued scattered = reduce_scatter(sim, group, flat_grads, grad_shards, ReduceOp::mean);
    // 2. each rank updates its own shard (the optimizer task runs the real step).
    std::vector<int> updated;
    for (int r = 0; r < n; ++r) {
      Task t;
      t.name = "optimizer (shard " + std::to_string(r) + ")";
      t.kind = TaskKind::optimizer;
      t.device = r;
      t.resources = {sim.compute(r)};
      t.duration = sim.cluster().compute_seconds(10.0 * static_cast<double>(shard));
      t.after = {scattered.done.at(r)};
      t.action = [&, r]() {
        set_gradient(master[r], grad_shards[r]);
        optimizers[r]->step();
        weight_shards[r].copy_from(master[r].value());
      };
      weight_shards.push_back(Tensor::zeros({shard}));
      updated.push_back(sim.add(std::move(t)));
    }
    // 3. all-gather: every rank receives every updated shard.
    const Issued gathered_tasks = all_gather(sim, group, weight_shards, gathered, updated);
    sim.run();
    run.bytes_sent_per_rank += scattered.bytes_sent.at(0) + gathered_tasks.bytes_sent.at(0);
    for (int r = 0; r < n; ++r) unflatten_into(gathered[r], replicas[r]->parameters());
  }
  run.parameters = copy_of(replicas[0]->state_dict());
  run.replica_spread = spread(replicas);
  return run;
}

}  // namespace gb::parallel
