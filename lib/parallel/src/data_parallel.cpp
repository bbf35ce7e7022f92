// data_parallel.cpp: one device, DDP, and a parameter server on the digits MLP (see data_parallel.hpp).
#include "gb/parallel/data_parallel.hpp"

#include <deque>

#include "data_parallel_internal.hpp"
#include "gb/core/error.hpp"

namespace gb::parallel {

using namespace detail;
using autodiff::Variable;

TrainingRun train_single_device(const nn::Dataset& data, const DataParallelConfig& config) {
  check_config(config, data, "train_single_device");
  auto model = make_model(config.seed);
  auto optimizer = make_optimizer(config, model->parameters());
  TrainingRun run;
  for (std::int64_t s = 0; s < config.steps; ++s) {
    run.losses.push_back(forward_backward(*model, global_batch(data, config, s)));
    optimizer->step();
  }
  run.parameters = copy_of(model->state_dict());
  return run;
}

TrainingRun train_data_parallel(const nn::Dataset& data, const DataParallelConfig& config) {
  check_config(config, data, "train_data_parallel");
  const int n = config.devices;
  std::vector<int> group;
  std::vector<std::shared_ptr<nn::Sequential>> replicas;
  std::vector<std::unique_ptr<nn::Optimizer>> optimizers;
  for (int r = 0; r < n; ++r) {
    group.push_back(r);
    replicas.push_back(make_model(config.seed + static_cast<std::uint64_t>(r) * 7919));  // different weights...
    optimizers.push_back(make_optimizer(config, replicas[r]->parameters()));
  }
  ClusterSpec spec = config.cluster;
  spec.devices = n;
  TrainingRun run;
  {  // ... until rank 0's are broadcast to everyone.
    std::vector<std::vector<Tensor>> values(n);
    for (int r = 0; r < n; ++r)
      for (const Variable& p : replicas[r]->parameters()) values[r].push_back(p.value());
    Simulator sim{Cluster(spec)};
    for (const Issued& issued : broadcast_parameters(sim, group, values)) run.bytes_sent_per_rank += issued.bytes_sent.at(0);
    sim.run();
  }
  const std::vector<DdpParameter> parameters = ddp_parameters(*replicas[0]);
  const std::vector<DdpLayer> layers = ddp_layers(*replicas[0], config.batch_size / n);
  for (std::int64_t s = 0; s < config.steps; ++s) {
    const nn::Batch batch = global_batch(data, config, s);
    std::vector<std::vector<Tensor>> grads(n);
    double loss = 0;
    for (int r = 0; r < n; ++r) {
      loss += forward_backward(*replicas[r], shard_of(batch, r, n)) / n;  // equal shards: the mean of means
      grads[r] = gradients(*replicas[r]);
    }
    run.losses.push_back(loss);
    Simulator sim{Cluster(spec)};
    run.steps.push_back(ddp_step(sim, group, layers, parameters, grads, config.ddp));
    run.bytes_sent_per_rank += run.steps.back().bytes_sent_per_rank;
    // Every rank now holds the averaged gradient and takes the same optimizer step.
    for (int r = 0; r < n; ++r) {
      const auto params = replicas[r]->parameters();
      for (std::size_t p = 0; p < params.size(); ++p) set_gradient(params[p], grads[r][p]);
      optimizers[r]->step();
    }
  }
  run.parameters = copy_of(replicas[0]->state_dict());
  run.replica_spread = spread(replicas);
  return run;
}

TrainingRun train_parameter_server(const nn::Dataset& data, const DataParallelConfig& config, int staleness) {
  check_config(config, data, "train_parameter_server");
  if (staleness < 0) throw Error("train_parameter_server", "a staleness >= 0", std::to_string(staleness));
  const int n = config.devices;
  auto server = make_model(config.seed);
  auto worker = make_model(config.seed);  // each worker's replica in turn (they run one after another here)
  auto optimizer = make_optimizer(config, server->parameters());
  std::deque<std::map<std::string, Tensor>> versions;  // the last staleness + 1 versions of the weights
  TrainingRun run;
  for (std::int64_t s = 0; s < config.steps; ++s) {
    versions.push_back(copy_of(server->state_dict()));
    if (static_cast<int>(versions.size()) > staleness + 1) versions.pop_front();
    // The workers pulled their weights `staleness` updates ago (or at the start).
    worker->load_state_dict(versions.front());
    const nn::Batch batch = global_batch(data, config, s);
    std::vector<Tensor> sum;
    double loss = 0;
    for (int w = 0; w < n; ++w) {
      loss += forward_backward(*worker, shard_of(batch, w, n)) / n;
      const std::vector<Tensor> g = gradients(*worker);
      for (std::size_t p = 0; p < g.size(); ++p) {
        if (w == 0) {
          sum.push_back(g[p].contiguous().clone());
          continue;
        }
        float* acc = sum[p].data<float>();
        const Tensor add = g[p].contiguous();
        for (std::int64_t i = 0; i < add.numel(); ++i) acc[i] += add.data<float>()[i];
      }
    }
    run.losses.push_back(loss);
    // The server averages the pushed gradients and updates its weights.
    const auto params = server->parameters();
    for (std::size_t p = 0; p < params.size(); ++p) {
      float* acc = sum[p].data<float>();
      for (std::int64_t i = 0; i < sum[p].numel(); ++i) acc[i] /= static_cast<float>(n);
      set_gradient(params[p], sum[p]);
    }
    optimizer->step();
  }
  run.parameters = copy_of(server->state_dict());
  return run;
}

}  // namespace gb::parallel
