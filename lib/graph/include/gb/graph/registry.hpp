// registry.hpp: the op registry. An op is known to the graph by its name and four things:
//   infer   shapes and dtypes of its outputs from those of its inputs and its attributes
//   kernel  the forward computation on Tensors
//   vjp     the graph-level VJP rule: given the adjoints of its outputs, it appends nodes to the graph
//           that compute the adjoints of its inputs (this is how the backward graph is generated)
//   cost    a rough cost (floating-point operations) the parallel executor's timeline uses
// Built-in ops register themselves the first time the registry is used (ops.cpp). Other modules and
// users add ops with register_op (the custom-op example of lesson 06; If/While in lib/control).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::graph {

struct InferContext {
  const Node& node;                    // its attributes; inputs/outputs not yet all set
  const std::vector<ValueInfo>& inputs;
};

class Executor;
struct KernelContext {
  const Node& node;
  const std::vector<Tensor>& inputs;
};

// What a VJP rule sees: the graph it appends to, the forward node, and the adjoint of each output
// (std::nullopt when that output has no adjoint: nothing downstream reaches the loss).
struct VjpContext {
  Graph& graph;
  const Node& node;  // a copy owned by the caller: safe while the rule appends nodes
  const std::vector<std::optional<ValueId>>& output_grads;
  const std::string& group;  // the group new nodes go in ("backward")
  // Appends a node in the backward group; returns its single output.
  ValueId emit(const std::string& op, const std::vector<ValueId>& inputs, Attributes attrs = {},
               const std::string& name = "") const;
  // Whether gradients() wants the adjoint of input i (false for inputs off every path to the loss):
  // a rule may skip emitting nodes for the others. True when the rule is called outside gradients().
  bool needs_grad(std::size_t input) const;
  // The forward input value i and its info (shorthands for node.inputs[i]).
  ValueId input(std::size_t i) const { return node.inputs.at(i); }
  const ValueInfo& input_info(std::size_t i) const { return graph.value(node.inputs.at(i)).info; }
};

struct OpDef {
  std::string name;
  int num_inputs = -1;  // -1 = variadic
  std::function<std::vector<ValueInfo>(const InferContext&)> infer;
  std::function<std::vector<Tensor>(const KernelContext&)> kernel;
  // One entry per input: its adjoint value, or nullopt (not differentiable / no gradient).
  // Empty std::function = the op is not differentiable (gradients() throws if a path needs it).
  std::function<std::vector<std::optional<ValueId>>(const VjpContext&)> vjp;
  std::function<double(const KernelContext&)> cost;  // optional; default = numel of the outputs
  std::string doc;                                  // one line for `glassbox graph --ops`
};

// Adds or replaces an op (thread-safe). Replacing a built-in op is allowed (lessons do it).
void register_op(OpDef def);
// The op, or gb::Error("graph", "a registered op", "'NAME' (known: ...)").
const OpDef& find_op(const std::string& name);
bool has_op(const std::string& name);
std::vector<std::string> op_names();  // sorted

}  // namespace gb::graph
