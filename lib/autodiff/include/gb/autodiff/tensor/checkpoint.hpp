// checkpoint.hpp: gradient checkpointing (recompute instead of store) and what a graph keeps in memory.
//
// Backward needs the tensors each VJP reads (the saved tensors: inputs of mul and matmul, outputs of
// exp and softmax, ...). For an N-layer network they grow with N. checkpoint(fn, inputs) runs a
// segment with grad mode off, so none of the segment's saved tensors are kept: only its inputs are.
// Backward through the checkpoint node runs fn again with grad mode on (the recomputation) and
// backpropagates through that fresh graph. Memory O(segment) + O(#segments) for one extra forward
// (Chen et al. 2016, "Training deep nets with sublinear memory cost").
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"

namespace gb::autodiff {

using Segment = std::function<Variable(const std::vector<Variable>&)>;

// fn's value on inputs, as one node "checkpoint" whose VJP recomputes fn. Leaves that fn captures
// (weights) get their adjoints accumulated into grad() during that recomputation, so use it with
// backward() (not grad()); create_graph through a checkpoint is not supported (gb::Error).
Variable checkpoint(const Segment& fn, const std::vector<Variable>& inputs);

// What the graph behind `output` keeps for its backward pass.
struct GraphMemory {
  std::int64_t nodes = 0;
  std::int64_t saved_tensors = 0;  // distinct storages among the saved tensors
  std::int64_t saved_bytes = 0;    // their bytes
};
GraphMemory saved_memory(const Variable& output);

}  // namespace gb::autodiff
