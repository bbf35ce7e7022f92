// vjp_reduce.cpp: sum, mean, max over axes and their VJP rules.
//
// A reduction is broadcasting run backwards, so its VJP is a broadcast: the adjoint g (one value per
// reduced group) is first given back its reduced axes as size 1 (keepdim), then broadcast to x's shape.
//   sum:  dx = broadcast(g)
//   mean: dx = broadcast(g) / count
//   max:  dx = broadcast(g) * [x == max] / (number of ties)   (the maximum's share, like torch.amax)
#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

using detail::checked;

namespace {

// g with the reduced axes back as size 1, broadcast to the input's shape.
Variable spread(const Variable& g, const Shape& input_shape, const std::vector<std::int64_t>& axes, const std::string& op) {
  return broadcast_to(reshape(g, detail::kept_shape(input_shape, axes, op)), input_shape);
}

double group_size(const Shape& shape, const std::vector<std::int64_t>& axes, const std::string& op) {
  const Shape kept = detail::kept_shape(shape, axes, op);
  return static_cast<double>(shape_numel(shape)) / static_cast<double>(std::max<std::int64_t>(shape_numel(kept), 1));
}

}  // namespace

Variable sum(const Variable& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  Tensor value = gb::sum(checked(x, "sum"), axes, keepdim);  // gb_core checks the axes
  return record_op("sum", value, {x}, {}, [axes](const VjpContext& ctx) {
    return std::vector<Variable>{spread(ctx.adjoint, ctx.input(0).shape(), axes, "sum")};
  });
}

Variable mean(const Variable& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  Tensor value = gb::mean(checked(x, "mean"), axes, keepdim);
  return record_op("mean", value, {x}, {}, [axes](const VjpContext& ctx) {
    const Variable& in = ctx.input(0);
    Variable count = scalar_like(in, group_size(in.shape(), axes, "mean"));
    return std::vector<Variable>{div(spread(ctx.adjoint, in.shape(), axes, "mean"), count)};
  });
}

Variable max(const Variable& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  const Tensor& t = checked(x, "max");
  Tensor value = gb::max(t, axes, keepdim);  // throws for an empty axis
  return record_op("max", value, {x}, {t}, [axes](const VjpContext& ctx) {
    const Tensor& in = ctx.input(0).value();
    Tensor top = gb::max(in, axes, /*keepdim=*/true);
    Tensor ties = gb::eq(in, top).to(in.dtype());                   // 1 at every maximum
    Tensor share = gb::div(ties, gb::sum(ties, axes, /*keepdim=*/true));  // 1 / number of ties
    return std::vector<Variable>{mul(spread(ctx.adjoint, in.shape(), axes, "max"), constant(share))};
  });
}

}  // namespace gb::autodiff
