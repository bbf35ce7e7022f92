// vjp_softmax.cpp: softmax and log-softmax along one axis (numerically stable) and their VJP rules.
//
// Stability: softmax(x) = softmax(x - c) for any constant c, so we subtract the maximum along the
// axis first; exp never overflows and the largest term is exactly 1 (no division by 0).
//   y = softmax(x):      dx = y * (g - sum(g * y, axis))      (the Jacobian is diag(y) - y y^T)
//   y = log_softmax(x):  dx = g - softmax(x) * sum(g, axis)   (softmax(x) = exp(y))
// Both are written with differentiable ops (y is the saved output), so second derivatives work.
#include <cmath>

#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

using detail::checked;

namespace {

// x - max(x, axis) and log(sum(exp(x - max), axis)), both keepdim.
std::pair<Tensor, Tensor> shifted_and_log_total(const Tensor& x, std::int64_t axis, const std::string& op) {
  if (x.ndim() == 0) throw Error(op, "a tensor with at least one axis", "a scalar (shape [])");
  normalize_axis(axis, x.ndim(), op);  // throws for a bad axis, naming op
  if (x.size(axis) == 0) throw Error(op, "a non-empty axis", "axis " + std::to_string(axis) + " of size 0");
  Tensor shifted = gb::sub(x, gb::max(x, {axis}, /*keepdim=*/true));
  Tensor total = gb::sum(detail::map(shifted, op, [](double v) { return std::exp(v); }), {axis}, /*keepdim=*/true);
  return {shifted, detail::map(total, op, [](double v) { return std::log(v); })};
}

}  // namespace

Variable softmax(const Variable& x, std::int64_t axis) {
  auto [shifted, log_total] = shifted_and_log_total(checked(x, "softmax"), axis, "softmax");
  Tensor y = detail::map(gb::sub(shifted, log_total), "softmax", [](double v) { return std::exp(v); });
  return record_op("softmax", y, {x}, {y}, [axis](const VjpContext& ctx) {
    const Variable& s = ctx.output;
    Variable inner = sum(mul(ctx.adjoint, s), {axis}, /*keepdim=*/true);
    return std::vector<Variable>{mul(s, sub(ctx.adjoint, inner))};
  });
}

Variable log_softmax(const Variable& x, std::int64_t axis) {
  auto [shifted, log_total] = shifted_and_log_total(checked(x, "log_softmax"), axis, "log_softmax");
  Tensor y = gb::sub(shifted, log_total);
  return record_op("log_softmax", y, {x}, {y}, [axis](const VjpContext& ctx) {
    Variable total = sum(ctx.adjoint, {axis}, /*keepdim=*/true);
    return std::vector<Variable>{sub(ctx.adjoint, mul(exp(ctx.output), total))};
  });
}

}  // namespace gb::autodiff
