// jacobian.hpp: whole Jacobians and Hessians of tensor functions, and what each costs in passes.
//
// For f: R^n -> R^m (any shapes: n = x.numel(), m = f(x).numel()) the Jacobian J is m x n.
//   jacrev: reverse mode. One VJP (a backward pass seeded with e_i) gives row i: m passes.
//   jacfwd: forward mode. One JVP (J v with v = e_j) gives column j: n passes. We have no tangent
//           rules for tensors, so a JVP is computed with the double-backward trick: u -> VJP(u) = J^T u
//           is linear in u, so its VJP with seed v is J v (two backward passes per JVP, one of them
//           through the recorded backward pass).
//   hessian: reverse over reverse. g(x) = grad f(x) with create_graph, then jacrev of g.
// The result has shape f(x).shape + x.shape (PyTorch's torch.autograd.functional.jacobian).
#pragma once

#include <cstdint>
#include <functional>

#include "gb/autodiff/tensor/variable.hpp"

namespace gb::autodiff {

using TensorFunction = std::function<Variable(const Variable&)>;

// What a Jacobian cost: forward evaluations of f, VJPs (backward passes seeded with a row e_i) and
// JVPs (J times a column e_j).
struct PassCount {
  std::int64_t forward = 0, vjp = 0, jvp = 0;
};

Tensor jacrev(const TensorFunction& f, const Tensor& x, PassCount* passes = nullptr);
Tensor jacfwd(const TensorFunction& f, const Tensor& x, PassCount* passes = nullptr);
// f must return one element. Shape x.shape + x.shape.
Tensor hessian(const TensorFunction& f, const Tensor& x, PassCount* passes = nullptr);

// One vector-Jacobian product: u^T J (shaped like x), and one Jacobian-vector product J v (shaped like f(x)).
Tensor vjp(const TensorFunction& f, const Tensor& x, const Tensor& u);
Tensor jvp(const TensorFunction& f, const Tensor& x, const Tensor& v);

}  // namespace gb::autodiff
