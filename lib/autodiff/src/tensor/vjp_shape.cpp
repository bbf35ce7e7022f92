// vjp_shape.cpp: reshape, transpose, permute, broadcast_to, sum_to_shape and their VJP rules.
//
// Shape ops move elements without changing them, so each VJP moves the adjoint back:
//   reshape(x, s)       dx = reshape(g, x.shape)
//   transpose(x, i, j)  dx = transpose(g, i, j)
//   permute(x, p)       dx = permute(g, inverse of p)
//   broadcast_to(x, s)  dx = sum_to_shape(g, x.shape)     (one element read many times: add its uses)
//   sum_to_shape(x, s)  dx = broadcast_to(g, x.shape)     (the two are each other's VJP)
#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

namespace {
// Any floating or not: shape ops move values of every dtype, but only floats are differentiated.
const Tensor& defined_value(const Variable& x, const std::string& op) {
  if (!x.defined()) throw Error(op, "a defined Variable", "an undefined Variable (default-constructed)");
  return x.value();
}
}  // namespace

Variable reshape(const Variable& x, const Shape& shape) {
  const Tensor& t = defined_value(x, "reshape");
  Tensor value = t.is_contiguous() ? t.reshape(shape) : t.contiguous().reshape(shape);
  return record_op("reshape", value, {x}, {}, [](const VjpContext& ctx) {
    return std::vector<Variable>{reshape(ctx.adjoint, ctx.input(0).shape())};
  });
}

Variable transpose(const Variable& x, std::int64_t axis0, std::int64_t axis1) {
  Tensor value = defined_value(x, "transpose").transpose(axis0, axis1);  // a view; checks the axes
  return record_op("transpose", value, {x}, {}, [axis0, axis1](const VjpContext& ctx) {
    return std::vector<Variable>{transpose(ctx.adjoint, axis0, axis1)};
  });
}

Variable permute(const Variable& x, const std::vector<std::int64_t>& axes) {
  const Tensor& t = defined_value(x, "permute");
  Tensor value = t.permute(axes);  // checks that axes is a permutation
  std::vector<std::int64_t> inverse(axes.size());
  for (std::size_t k = 0; k < axes.size(); ++k) {
    inverse[static_cast<std::size_t>(normalize_axis(axes[k], t.ndim(), "permute"))] = static_cast<std::int64_t>(k);
  }
  return record_op("permute", value, {x}, {}, [inverse](const VjpContext& ctx) {
    return std::vector<Variable>{permute(ctx.adjoint, inverse)};
  });
}

Variable broadcast_to(const Variable& x, const Shape& shape) {
  Tensor value = defined_value(x, "broadcast_to").broadcast_to(shape);  // stride 0 along new axes
  return record_op("broadcast_to", value, {x}, {}, [](const VjpContext& ctx) {
    return std::vector<Variable>{sum_to_shape(ctx.adjoint, ctx.input(0).shape())};
  });
}

Variable sum_to_shape(const Variable& x, const Shape& shape) {
  const Tensor& t = detail::checked(x, "sum_to_shape");
  if (t.shape() == shape) return x;  // nothing was broadcast: no op, no node
  return record_op("sum_to_shape", detail::sum_to_shape(t, shape), {x}, {}, [](const VjpContext& ctx) {
    return std::vector<Variable>{broadcast_to(ctx.adjoint, ctx.input(0).shape())};
  });
}

}  // namespace gb::autodiff
