// hybrid_training.cpp: dp_pipeline_train_step (hybrid_training.hpp): each replica's pipeline, then the
// gradient average of every stage's DP group on the mesh, then the optimizers.
#include "gb/parallel/hybrid_training.hpp"

#include <string>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/mesh.hpp"
#include "gb/parallel/pipeline_training.hpp"

namespace gb::parallel {

using autodiff::Variable;

DpPipelineStep dp_pipeline_train_step(const std::vector<std::vector<std::shared_ptr<nn::Sequential>>>& replicas,
                                      const std::vector<nn::Optimizer*>& optimizers, const Tensor& inputs,
                                      const Tensor& targets, const PipelineSpec& spec, ClusterSpec cluster) {
  const std::string op = "dp_pipeline_train_step";
  const int dp = static_cast<int>(replicas.size()), pieces = spec.stages * spec.chunks;
  if (dp < 1 || optimizers.size() != replicas.size()) {
    throw Error(op, "at least one replica and one optimizer per replica",
                std::to_string(dp) + " replicas, " + std::to_string(optimizers.size()) + " optimizers");
  }
  for (const auto& replica : replicas) {
    if (static_cast<int>(replica.size()) != pieces) {
      throw Error(op, std::to_string(pieces) + " pieces per replica (stages x chunks)", std::to_string(replica.size()));
    }
  }
  if (inputs.ndim() != 2 || targets.ndim() != 2 || inputs.shape()[0] != targets.shape()[0] || inputs.shape()[0] % dp != 0) {
    throw Error(op, "inputs [N, in] and targets [N, out] with N a multiple of the " + std::to_string(dp) + " replicas",
                std::to_string(inputs.ndim()) + "-d inputs of " + std::to_string(inputs.ndim() ? inputs.shape()[0] : 0) + " rows");
  }

  // Each replica's pipeline on its rows.
  DpPipelineStep result;
  const std::int64_t rows = inputs.shape()[0] / dp;
  for (int r = 0; r < dp; ++r) {
    optimizers[static_cast<std::size_t>(r)]->zero_grad();
    const Tensor x = inputs.slice(0, r * rows, (r + 1) * rows).contiguous();
    const Tensor y = targets.slice(0, r * rows, (r + 1) * rows).contiguous();
    PipelineStepResult step = pipeline_forward_backward(replicas[static_cast<std::size_t>(r)], x, y, spec);
    result.loss += step.loss / dp;
    result.pipelines.push_back(std::move(step.run));
  }

  // Stage s of replica r is device (dp r, pp s) of the mesh; its DP group holds piece s of every replica.
  const Mesh mesh(dp, 1, spec.stages);
  cluster.devices = mesh.size();
  Simulator sim{Cluster(cluster)};
  std::vector<std::vector<Tensor>> gradients;  // per (piece, parameter): one copy per replica
  std::vector<std::vector<Variable>> owners;   // the parameters they go back to, per replica
  for (int k = 0; k < pieces; ++k) {
    const std::vector<int> group = mesh.dp_group(mesh.device({0, 0, k % spec.stages}));
    const auto first = replicas[0][static_cast<std::size_t>(k)]->parameters();
    for (std::size_t p = 0; p < first.size(); ++p) {
      std::vector<Tensor> copies;
      std::vector<Variable> params;
      for (int r = 0; r < dp; ++r) {
        const Variable param = replicas[static_cast<std::size_t>(r)][static_cast<std::size_t>(k)]->parameters()[p];
        copies.push_back(param.grad().value().contiguous().clone());
        params.push_back(param);
      }
      const Issued issued = all_reduce(sim, group, copies, AllReduceAlgorithm::ring, ReduceOp::mean);
      if (group[0] == 0) result.bytes_sent_per_device += issued.bytes_sent[0];
      gradients.push_back(std::move(copies));
      owners.push_back(std::move(params));
    }
  }
  result.gradient_sync = sim.run();  // the messages' actions average the values
  for (std::size_t i = 0; i < gradients.size(); ++i) {
    for (int r = 0; r < dp; ++r) owners[i][static_cast<std::size_t>(r)].impl()->grad = Variable(gradients[i][static_cast<std::size_t>(r)]);
  }
  for (nn::Optimizer* optimizer : optimizers) optimizer->step();
  return result;
}

}  // namespace gb::parallel
