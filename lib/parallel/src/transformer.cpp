// transformer.cpp: the residual MLP stack and a data-parallel step on it (see transformer.hpp).
#include "gb/parallel/transformer.hpp"

#include <string>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"
#include "gb/parallel/collectives.hpp"

namespace gb::parallel {

using autodiff::Variable;

ResidualMlpBlock::ResidualMlpBlock(std::int64_t hidden, std::int64_t ffn, Rng& rng) {
  if (hidden < 1 || ffn < 1) {
    throw Error("ResidualMlpBlock", "hidden >= 1 and ffn >= 1", std::to_string(hidden) + " and " + std::to_string(ffn));
  }
  fc1 = std::make_shared<nn::Linear>(hidden, ffn, rng);
  fc2 = std::make_shared<nn::Linear>(ffn, hidden, rng);
  register_module("fc1", fc1);
  register_module("fc2", fc2);
}

Variable ResidualMlpBlock::forward(const Variable& x) {
  // The residual: the block learns a correction to x, and the gradient reaches x through "+ x" undamped.
  return x + (*fc2)(autodiff::gelu((*fc1)(x)));
}

std::string ResidualMlpBlock::describe() const {
  return "ResidualMlpBlock(hidden=" + std::to_string(fc1->in_features) + ", ffn=" + std::to_string(fc1->out_features) + ")";
}

std::shared_ptr<nn::Sequential> transformer_mlp_stack(int blocks, std::int64_t hidden, std::int64_t ffn, std::uint64_t seed) {
  if (blocks < 1) throw Error("transformer_mlp_stack", "at least 1 block", std::to_string(blocks));
  Rng rng(seed);
  auto stack = std::make_shared<nn::Sequential>();
  for (int k = 0; k < blocks; ++k) stack->add(std::make_shared<ResidualMlpBlock>(hidden, ffn == 0 ? 4 * hidden : ffn, rng));
  return stack;
}

double data_parallel_train_step(const std::vector<std::shared_ptr<nn::Sequential>>& replicas,
                                const std::vector<nn::Optimizer*>& optimizers, const Tensor& inputs, const Tensor& targets) {
  const std::string op = "data_parallel_train_step";
  const int n = static_cast<int>(replicas.size());
  if (n < 1 || optimizers.size() != replicas.size()) {
    throw Error(op, "one optimizer per replica, at least one replica", std::to_string(n) + " replicas, " + std::to_string(optimizers.size()) + " optimizers");
  }
  if (inputs.ndim() != 2 || targets.ndim() != 2 || inputs.shape()[0] != targets.shape()[0] || inputs.shape()[0] % n != 0) {
    throw Error(op, "inputs [N, in] and targets [N, out] with N a multiple of the " + std::to_string(n) + " replicas",
                std::to_string(inputs.ndim()) + "-d inputs of " + std::to_string(inputs.ndim() ? inputs.shape()[0] : 0) + " rows");
  }
  // Forward and backward on every replica's shard.
  const std::int64_t rows = inputs.shape()[0] / n;
  double loss = 0;
  for (int r = 0; r < n; ++r) {
    nn::Sequential& model = *replicas[static_cast<std::size_t>(r)];
    model.zero_grad();
    const Variable x(inputs.slice(0, r * rows, (r + 1) * rows).contiguous());
    const Variable y(targets.slice(0, r * rows, (r + 1) * rows).contiguous());
    const Variable shard_loss = nn::mse_loss(model(x), y);
    shard_loss.backward();
    loss += shard_loss.value().item() / n;
  }
  // The mean of the replicas' gradients, parameter by parameter, by ring all-reduces on n devices.
  ClusterSpec spec;
  spec.devices = spec.devices_per_node = n;
  Simulator sim{Cluster(spec)};
  std::vector<int> group;
  for (int r = 0; r < n; ++r) group.push_back(r);
  std::vector<std::vector<Variable>> parameters;
  for (const auto& replica : replicas) parameters.push_back(replica->parameters());
  std::vector<std::vector<Tensor>> gradients(parameters[0].size());
  for (std::size_t p = 0; p < parameters[0].size(); ++p) {
    for (int r = 0; r < n; ++r) gradients[p].push_back(parameters[static_cast<std::size_t>(r)][p].grad().value().contiguous().clone());
    all_reduce(sim, group, gradients[p], AllReduceAlgorithm::ring, ReduceOp::mean);
  }
  sim.run();  // the messages' actions average the values
  for (int r = 0; r < n; ++r) {
    for (std::size_t p = 0; p < gradients.size(); ++p) {
      const Variable& parameter = parameters[static_cast<std::size_t>(r)][p];
      parameter.impl()->grad = Variable(gradients[p][static_cast<std::size_t>(r)]);
    }
    optimizers[static_cast<std::size_t>(r)]->step();
  }
  return loss;
}

}  // namespace gb::parallel
