// tensor_parallel_run.cpp: one tensor-parallel block's forward and backward on the simulator, and what
// is measured from its execution (lesson 13; see tensor_parallel_model.hpp).
#include <string>

#include "gb/core/error.hpp"
#include "gb/parallel/tensor_parallel_model.hpp"

namespace gb::parallel {

namespace {

TpBlockRun run_block(TpBlock& block, const Shape& shape, const Tensor* x, const Tensor* grad_output, const ClusterSpec& spec) {
  const int t = block.ranks();
  if (spec.devices < t) throw Error("run_tp_block", "a cluster of at least t = " + std::to_string(t) + " devices", std::to_string(spec.devices));
  Simulator sim{Cluster(spec)};
  std::vector<int> devices;
  for (int r = 0; r < t; ++r) devices.push_back(r);
  TpGroup group(sim, devices, x != nullptr);
  TpActivation in = group.activation(shape), dz = group.activation(shape);
  for (int r = 0; r < static_cast<int>(in.copies.size()); ++r) {
    in.copies[static_cast<std::size_t>(r)].copy_from(*x);
    dz.copies[static_cast<std::size_t>(r)].copy_from(*grad_output);
  }
  const TpActivation z = block.forward(group, in);
  const TpActivation dx = block.backward(group, dz);

  TpBlockRun run;
  run.execution = sim.run();
  run.collectives = group.collectives();
  for (int id = 0; id < sim.task_count(); ++id) run.task_names.push_back(sim.task(id).name);
  run.outputs = z.copies;
  run.grad_inputs = dx.copies;
  if (!z.copies.empty()) {
    run.output = z.copies.front();
    run.grad_input = dx.copies.front();
  }
  for (int r = 0; r < t; ++r) {
    run.compute_seconds.push_back(run.execution.busy(r, TaskKind::forward) + run.execution.busy(r, TaskKind::backward));
    run.communication_seconds.push_back(run.execution.busy(r, TaskKind::communication));
    std::int64_t sent = 0;
    for (const TpCollective& c : run.collectives) sent += c.bytes_sent.at(static_cast<std::size_t>(r));
    run.bytes_sent.push_back(sent);
    run.parameter_bytes.push_back(run.execution.memory.at(static_cast<std::size_t>(r)).peak(MemoryKind::parameters));
  }
  return run;
}

}  // namespace

TpBlockRun run_tp_block(TpBlock& block, const Tensor& x, const Tensor& grad_output, ClusterSpec cluster) {
  if (!x.defined() || !grad_output.defined() || x.ndim() != 2 || grad_output.shape() != x.shape()) {
    throw Error("run_tp_block", "x [tokens, h] and a gradient of the same shape",
                (x.defined() ? shape_str(x.shape()) : "undefined") + " and " + (grad_output.defined() ? shape_str(grad_output.shape()) : "undefined"));
  }
  return run_block(block, x.shape(), &x, &grad_output, cluster);
}

TpBlockRun time_tp_block(TpBlock& block, std::int64_t tokens, std::int64_t hidden, ClusterSpec cluster) {
  if (tokens < 1 || hidden < 1) throw Error("time_tp_block", "tokens and hidden >= 1", std::to_string(tokens) + ", " + std::to_string(hidden));
  return run_block(block, {tokens, hidden}, nullptr, nullptr, cluster);
}

}  // namespace gb::parallel
