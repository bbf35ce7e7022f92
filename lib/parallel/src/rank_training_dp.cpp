// rank_training_dp.cpp: DDP and ZeRO as rank programs (rank_training.hpp): data_parallel.cpp and
// zero_train.cpp seen from one rank. The rank holds one replica; its neighbours exist only as the
// other ends of the communicator. Each line that was a loop over ranks there is one call here.
#include <memory>

#include "data_parallel_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/rank_training.hpp"
#include "gb/parallel/zero.hpp"

namespace gb::parallel {

using namespace detail;
using autodiff::Variable;

namespace {

void check_world(const Communicator& world, const DataParallelConfig& config, const std::string& trainer) {
  if (world.size() != config.devices) {
    throw Error(trainer, "config.devices equal to the " + std::to_string(world.size()) + " ranks of the world",
                std::to_string(config.devices));
  }
}

// The global batch's mean loss, equal on every rank: every rank's share loss_r / n is gathered and added
// in rank order from 0, the order train_data_parallel adds them in (so the doubles agree bit for bit).
double global_loss(Communicator& world, double rank_loss) {
  const int n = world.size();
  Tensor mine = Tensor::full({1}, rank_loss / n, DType::f64), all = Tensor::zeros({n}, DType::f64);
  world.all_gather(mine, all);
  double loss = 0;
  for (int r = 0; r < n; ++r) loss += all.data<double>()[r];
  return loss;
}

}  // namespace

RankRun ddp_rank_train(Communicator& world, const nn::Dataset& data, const DataParallelConfig& config) {
  const std::string trainer = "ddp_rank_train";
  check_config(config, data, trainer);
  check_world(world, config, trainer);
  if (config.ddp.algorithm != AllReduceAlgorithm::ring) {
    throw Error(trainer, "the ring all-reduce (the communicator's)", algorithm_name(config.ddp.algorithm));
  }
  const int n = world.size(), rank = world.rank();
  // Every rank starts from its own random weights, then DDP's constructor broadcasts rank 0's.
  auto model = make_model(config.seed + static_cast<std::uint64_t>(rank) * 7919);
  auto optimizer = make_optimizer(config, model->parameters());
  for (const Variable& p : model->parameters()) {
    Tensor value = p.value();  // the parameter's own storage: overwritten in place
    world.broadcast(value, 0);
  }
  // The buckets (ddp.hpp): reverse registration order, closed at the caps; each a flat buffer.
  const std::vector<DdpParameter> parameters = ddp_parameters(*model);
  std::vector<std::int64_t> bytes;
  for (const DdpParameter& p : parameters) bytes.push_back(4 * p.numel);
  const std::vector<std::vector<int>> buckets = assign_buckets(bytes, config.ddp.buckets);

  RankRun run;
  for (std::int64_t s = 0; s < config.steps; ++s) {
    const double loss = forward_backward(*model, shard_of(global_batch(data, config, s), rank, n));
    run.losses.push_back(global_loss(world, loss));
    const std::vector<Variable> params = model->parameters();
    for (const std::vector<int>& bucket : buckets) {
      std::int64_t numel = 0;
      for (int p : bucket) numel += parameters[static_cast<std::size_t>(p)].numel;
      Tensor flat = Tensor::zeros({numel});
      std::int64_t at = 0;
      for (int p : bucket) {  // the ready hooks: each gradient into its slot (an unused one stays zero)
        const Variable& param = params[static_cast<std::size_t>(p)];
        if (param.grad().defined()) flat.slice(0, at, at + param.numel()).copy_from(param.grad().value().contiguous().reshape({-1}));
        else if (!config.ddp.find_unused_parameters) {
          throw Error("DDP backward (the all-reduce would wait for ever)",
                      "a gradient for every parameter, or find_unused_parameters = true",
                      "no gradient for " + parameters[static_cast<std::size_t>(p)].name);
        }
        at += param.numel();
      }
      world.all_reduce(flat, ReduceOp::mean);
      at = 0;
      for (int p : bucket) {
        const Variable& param = params[static_cast<std::size_t>(p)];
        set_gradient(param, flat.slice(0, at, at + param.numel()).clone());
        at += param.numel();
      }
    }
    optimizer->step();  // the same averaged gradient on every rank: the replicas stay equal
  }
  run.parameters = copy_of(model->state_dict());
  run.stats = world.stats();
  return run;
}

RankRun zero_rank_train(Communicator& world, const nn::Dataset& data, const DataParallelConfig& config) {
  const std::string trainer = "zero_rank_train";
  check_config(config, data, trainer);
  check_world(world, config, trainer);
  const int n = world.size(), rank = world.rank();
  auto model = make_model(config.seed);  // equal weights on every rank (DDP's broadcast, already done)
  const std::int64_t psi = model->parameter_count();
  const std::int64_t shard = shard_size(psi, n), padded = shard * n;
  // This rank's fp32 master shard, and an optimizer whose state exists for that shard only.
  std::vector<Tensor> values;
  for (const Variable& p : model->parameters()) values.push_back(p.value());
  Variable master(flatten(values, padded).slice(0, rank * shard, (rank + 1) * shard).clone(), true, "shard " + std::to_string(rank));
  auto optimizer = make_optimizer(config, {master});

  RankRun run;
  for (std::int64_t s = 0; s < config.steps; ++s) {
    const double loss = forward_backward(*model, shard_of(global_batch(data, config, s), rank, n));
    run.losses.push_back(global_loss(world, loss));
    // 1. reduce-scatter: this rank receives the mean gradient of its shard only.
    Tensor grad_shard = Tensor::zeros({shard});
    world.reduce_scatter(flatten(gradients(*model), padded), grad_shard, ReduceOp::mean);
    // 2. the optimizer updates the own shard.
    set_gradient(master, grad_shard);
    optimizer->step();
    // 3. all-gather: every rank receives every updated shard and copies them into its replica.
    Tensor gathered = Tensor::zeros({padded});
    world.all_gather(master.value().contiguous(), gathered);
    unflatten_into(gathered, model->parameters());
  }
  run.parameters = copy_of(model->state_dict());
  run.parameters["shard"] = master.value().clone();
  run.stats = world.stats();
  return run;
}

}  // namespace gb::parallel
