// vjp_elementwise.cpp: add, sub, mul, div, neg, pow with broadcasting, and their VJP rules.
//
// For c = f(a, b) computed elementwise on broadcast operands, the adjoint of a is the elementwise
// partial derivative times the adjoint of c, summed over every axis broadcasting stretched or added
// (sum_to_shape): each element of a was used once per position it was broadcast to.
//   add: da = g              db = g
//   sub: da = g              db = -g
//   mul: da = g * b          db = g * a
//   div: da = g / b          db = -g * a / b^2
//   pow: da = g * b a^(b-1)  db = g * a^b log a
#include <cmath>

#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

using detail::checked;

Variable constant(const Tensor& value) { return Variable(value, false); }

Variable scalar_like(const Variable& x, double value) {
  return constant(Tensor::scalar(value, checked(x, "scalar_like").dtype()));
}

namespace {

// The adjoint g of a broadcast result, summed back to the shape of input i (undefined if not needed).
Variable reduce_to_input(const VjpContext& ctx, std::size_t i, const Variable& g) {
  if (!ctx.needs_grad(i)) return Variable();
  return sum_to_shape(g, ctx.input(i).shape());
}

std::vector<Variable> add_vjp(const VjpContext& ctx) {
  return {reduce_to_input(ctx, 0, ctx.adjoint), reduce_to_input(ctx, 1, ctx.adjoint)};
}

std::vector<Variable> sub_vjp(const VjpContext& ctx) {
  return {reduce_to_input(ctx, 0, ctx.adjoint), ctx.needs_grad(1) ? reduce_to_input(ctx, 1, neg(ctx.adjoint)) : Variable()};
}

// The VJP of c = a * b: dL/da = sum_to_shape(dL/dc * b, a.shape), dL/db = sum_to_shape(dL/dc * a, b.shape).
std::vector<Variable> mul_vjp(const VjpContext& ctx) {
  // BEGIN EXERCISE(autodiff.reverse.vjp_rules)
  const Variable& a = ctx.input(0);
  const Variable& b = ctx.input(1);
  Variable da = ctx.needs_grad(0) ? sum_to_shape(mul(ctx.adjoint, b), a.shape()) : Variable();
  Variable db = ctx.needs_grad(1) ? sum_to_shape(mul(ctx.adjoint, a), b.shape()) : Variable();
  return {da, db};
  // END EXERCISE
}

std::vector<Variable> div_vjp(const VjpContext& ctx) {
  const Variable& a = ctx.input(0);
  const Variable& b = ctx.input(1);
  Variable da = ctx.needs_grad(0) ? reduce_to_input(ctx, 0, div(ctx.adjoint, b)) : Variable();
  Variable db = ctx.needs_grad(1) ? reduce_to_input(ctx, 1, neg(div(mul(ctx.adjoint, a), mul(b, b)))) : Variable();
  return {da, db};
}

std::vector<Variable> pow_vjp(const VjpContext& ctx) {
  const Variable& a = ctx.input(0);
  const Variable& b = ctx.input(1);
  Variable da, db;
  if (ctx.needs_grad(0)) da = reduce_to_input(ctx, 0, mul(ctx.adjoint, mul(b, pow(a, sub(b, scalar_like(b, 1))))));
  if (ctx.needs_grad(1)) db = reduce_to_input(ctx, 1, mul(ctx.adjoint, mul(ctx.output, log(a))));
  return {da, db};
}

using TensorOp = Tensor (*)(const Tensor&, const Tensor&);

Variable binary(const char* op, TensorOp value_of, const Variable& a, const Variable& b, bool save_operands,
                VjpRule vjp) {
  const Tensor& ta = checked(a, op);
  const Tensor& tb = checked(b, op);
  Tensor value = value_of(ta, tb);  // gb_core checks dtypes and broadcasting, naming the op
  std::vector<Tensor> saved;
  if (save_operands) saved = {ta, tb};
  return record_op(op, std::move(value), {a, b}, std::move(saved), std::move(vjp));
}

Tensor pow_values(const Tensor& a, const Tensor& b) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "pow");
  if (a.dtype() != b.dtype()) {
    throw Error("pow", "operands of the same dtype", std::string(dtype_name(a.dtype())) + " and " + dtype_name(b.dtype()));
  }
  Tensor base = a.broadcast_to(shape).contiguous(), exponent = b.broadcast_to(shape).contiguous();
  Tensor out = Tensor::empty(shape, a.dtype());
  const std::int64_t n = out.numel();
  if (a.dtype() == DType::f32) {
    for (std::int64_t i = 0; i < n; ++i) out.data<float>()[i] = std::pow(base.data<float>()[i], exponent.data<float>()[i]);
  } else {
    for (std::int64_t i = 0; i < n; ++i) out.data<double>()[i] = std::pow(base.data<double>()[i], exponent.data<double>()[i]);
  }
  return out;
}

}  // namespace

Variable add(const Variable& a, const Variable& b) { return binary("add", gb::add, a, b, false, add_vjp); }
Variable sub(const Variable& a, const Variable& b) { return binary("sub", gb::sub, a, b, false, sub_vjp); }
Variable mul(const Variable& a, const Variable& b) { return binary("mul", gb::mul, a, b, true, mul_vjp); }
Variable div(const Variable& a, const Variable& b) { return binary("div", gb::div, a, b, true, div_vjp); }

Variable pow(const Variable& a, const Variable& b) {
  Variable out = binary("pow", pow_values, a, b, true, pow_vjp);
  if (out.grad_fn()) out.grad_fn()->saved.push_back(out.value());  // d/db reads the output
  return out;
}

Variable pow(const Variable& a, double exponent) { return pow(a, scalar_like(a, exponent)); }

Variable neg(const Variable& a) {
  return record_op("neg", gb::neg(checked(a, "neg")), {a}, {},
                   [](const VjpContext& ctx) { return std::vector<Variable>{neg(ctx.adjoint)}; });
}

}  // namespace gb::autodiff
