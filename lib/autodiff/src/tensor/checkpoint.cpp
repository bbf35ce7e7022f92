// checkpoint.cpp: gradient checkpointing and the memory a graph keeps for backward (see checkpoint.hpp).
#include "gb/autodiff/tensor/checkpoint.hpp"

#include <unordered_set>

#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

Variable checkpoint(const Segment& fn, const std::vector<Variable>& inputs) {
  if (!fn) throw Error("checkpoint", "a segment function", "an empty std::function");
  std::vector<Tensor> saved;
  std::vector<Variable> detached;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) throw Error("checkpoint", "defined inputs", "input " + std::to_string(i) + " undefined");
    saved.push_back(inputs[i].value());  // the only tensors the checkpoint keeps
    detached.push_back(inputs[i].detach());
  }
  // Forward with grad mode off: the segment's own nodes and saved tensors are never made.
  Variable value;
  {
    NoGradGuard no_grad;
    value = fn(detached);
  }
  if (!value.defined()) throw Error("checkpoint", "the segment to return a defined Variable", "an undefined Variable");
  // When no input requires grad, the weights inside still may: the node must exist whenever grad is on.
  std::vector<Variable> edges = inputs;
  Variable trigger(Tensor::scalar(0.0, value.dtype()), /*requires_grad=*/true);  // makes the node exist
  edges.push_back(trigger);
  return record_op("checkpoint", value.value(), edges, saved, [fn](const VjpContext& ctx) {
    if (grad_enabled()) {
      throw Error("backward", "create_graph=false through a checkpoint (it recomputes with its own backward)",
                  "create_graph=true");
    }
    // The recomputation: run the segment again, this time recording, from leaves holding the inputs.
    std::vector<Variable> leaves;
    for (std::size_t i = 0; i + 1 < ctx.node.inputs.size(); ++i) {
      const Variable& in = ctx.input(i);
      leaves.emplace_back(in.value(), in.requires_grad() && is_floating(in.dtype()));
    }
    Variable recomputed;
    {
      EnableGradGuard grad_on;
      recomputed = fn(leaves);
    }
    std::vector<Variable> adjoints(ctx.node.inputs.size());
    if (recomputed.requires_grad()) {
      backward(recomputed, ctx.adjoint.value());  // weights captured by fn get their grad() here
      for (std::size_t i = 0; i < leaves.size(); ++i) {
        if (!ctx.needs_grad(i)) continue;
        Variable g = leaves[i].grad();
        adjoints[i] = g.defined() ? constant(g.value()) : constant(Tensor::zeros(leaves[i].shape(), leaves[i].dtype()));
      }
    }
    return adjoints;  // the trigger gets none
  });
}

GraphMemory saved_memory(const Variable& output) {
  GraphMemory memory;
  std::unordered_set<const Storage*> storages;
  for (const std::shared_ptr<Node>& node : backward_order(output)) {
    ++memory.nodes;
    for (const Tensor& t : node->saved) {
      if (!t.defined() || !storages.insert(t.storage().get()).second) continue;
      ++memory.saved_tensors;
      memory.saved_bytes += static_cast<std::int64_t>(t.storage()->nbytes);
    }
  }
  return memory;
}

}  // namespace gb::autodiff
