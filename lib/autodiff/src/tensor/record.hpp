// record.hpp: how reverse mode shows itself in a Recording (when a Recorder is attached).
//
// Scene "autodiff" (a graph): the forward pass adds one node per Variable (leaves on first use, op
// results as they are computed) and an edge per operand; backward steps visit the nodes in reverse
// order and set the gradient badge of each input as its adjoint accumulates. With no Recorder
// attached every function here returns after one branch.
#pragma once

#include <string>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"

namespace gb::autodiff::detail {

inline constexpr const char* kGraphScene = "autodiff";

// A short badge: the values when there are at most 4, else shape and dtype.
std::string badge(const Tensor& t);

void record_forward(const Variable& output, const std::string& op, const std::vector<Variable>& inputs);
void record_seed(const Variable& output, const Tensor& seed);
void record_vjp(const Node& node, const std::vector<Variable>& inputs, const std::vector<Variable>& adjoints);

// While a backward pass runs, the ops of VJP rules are not drawn as forward nodes.
class BackwardScope {
 public:
  BackwardScope();
  ~BackwardScope();
  BackwardScope(const BackwardScope&) = delete;
  BackwardScope& operator=(const BackwardScope&) = delete;

 private:
  bool previous_;
};

}  // namespace gb::autodiff::detail
