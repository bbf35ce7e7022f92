// ops_shape.cpp: reductions (sum, mean), reshape, the broadcasting pair broadcast_like / sum_to_like
// (each the VJP of the other), zeros_like, ones_like and cast.
//
// broadcast_like(x, ref) and sum_to_like(x, ref) read only the *shape* of ref at run time, so a VJP
// that uses them works for dynamic (-1) shapes too. Their optional attr "axes" lists the axes (in the
// big tensor's rank) that the small one lacks: that is how sum(keepdim=0)'s VJP re-inserts them.
#include <algorithm>

#include "gb/core/math.hpp"
#include "gb/core/ops.hpp"
#include "internal.hpp"

namespace gb::graph::detail {

namespace {

using Grads = std::vector<std::optional<ValueId>>;

bool is_static(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](std::int64_t d) { return d >= 0; });
}

std::vector<std::int64_t> ints_or_empty(const Node& node, const std::string& key) {
  return node.has_attr(key) ? node.attr_ints(key) : std::vector<std::int64_t>{};
}

bool keepdim_of(const Node& node) { return node.has_attr("keepdim") && node.attr_int("keepdim") != 0; }

// The axes a sum/mean node reduces, normalised and sorted (every axis when attr "axes" is empty).
std::vector<std::int64_t> reduced_axes(const Node& node, std::size_t rank) {
  std::vector<std::int64_t> axes;
  for (std::int64_t a : ints_or_empty(node, "axes")) axes.push_back(normalize_axis(a, rank, node.op));
  if (!node.has_attr("axes") || axes.empty()) {
    for (std::size_t k = 0; k < rank; ++k) axes.push_back(static_cast<std::int64_t>(k));
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    throw Error(node.op, "attr axes without repeats", shape_str(ints_or_empty(node, "axes")));
  }
  return axes;
}

std::vector<ValueInfo> infer_reduce(const InferContext& ctx) {
  const ValueInfo& x = ctx.inputs[0];
  const std::vector<std::int64_t> axes = reduced_axes(ctx.node, x.shape.size());
  Shape out;
  for (std::size_t k = 0; k < x.shape.size(); ++k) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), static_cast<std::int64_t>(k));
    if (!reduced) out.push_back(x.shape[k]);
    else if (keepdim_of(ctx.node)) out.push_back(1);
  }
  DType dtype = x.dtype;
  if (!is_floating(dtype)) dtype = ctx.node.op == "sum" ? DType::i64 : DType::f64;  // like gb::sum / gb::mean
  return {{dtype, out}};
}

Tensor reduce_kernel(const KernelContext& ctx) {
  const Tensor& x = ctx.inputs[0];
  const std::vector<std::int64_t> axes = reduced_axes(ctx.node, x.ndim());
  const bool keepdim = keepdim_of(ctx.node);
  return ctx.node.op == "sum" ? gb::sum(x, axes, keepdim) : gb::mean(x, axes, keepdim);
}

// sum: every element of x received the adjoint of the sum it went into: broadcast it back.
ValueId sum_adjoint(const VjpContext& ctx) {
  Attributes attrs;
  if (!keepdim_of(ctx.node)) attrs["axes"] = reduced_axes(ctx.node, ctx.input_info(0).shape.size());
  return ctx.emit("broadcast_like", {*ctx.output_grads[0], ctx.input(0)}, attrs);
}

Grads sum_vjp(const VjpContext& ctx) { return {sum_adjoint(ctx)}; }

// mean: the sum's adjoint divided by the count of elements reduced into each output element.
Grads mean_vjp(const VjpContext& ctx) {
  const ValueInfo& x = ctx.input_info(0);
  const ValueId spread = sum_adjoint(ctx);
  const std::vector<std::int64_t> axes = reduced_axes(ctx.node, x.shape.size());
  if (is_static(x.shape)) {
    double count = 1;
    for (std::int64_t a : axes) count *= static_cast<double>(x.shape[static_cast<std::size_t>(a)]);
    const ValueId n = ctx.graph.constant(Tensor::scalar(count, x.dtype), "count");
    ctx.graph.set_group(ctx.graph.value(n).producer, ctx.group);
    return {ctx.emit("div", {spread, n})};
  }
  // A dynamic shape: count at run time, as the sum of ones over the reduced axes.
  const ValueId count = ctx.emit("sum", {ctx.emit("ones_like", {ctx.input(0)})},
                                 {{"axes", axes}, {"keepdim", std::int64_t{1}}});
  return {ctx.emit("div", {spread, count})};
}

// The shape `small` takes once the axes it lacks (attr "axes", positions in the big rank) are 1s.
Shape with_ones(const Shape& small, const std::vector<std::int64_t>& axes) {
  Shape out = small;
  for (std::int64_t a : axes) {  // ascending: each insertion lands at its final position
    if (a < 0 || a > static_cast<std::int64_t>(out.size())) throw Error("broadcast_like", "attr axes within the rank", shape_str(axes));
    out.insert(out.begin() + a, 1);
  }
  return out;
}

std::vector<std::int64_t> sorted_axes(const Node& node) {
  std::vector<std::int64_t> axes = ints_or_empty(node, "axes");
  std::sort(axes.begin(), axes.end());
  return axes;
}

Tensor broadcast_like_kernel(const KernelContext& ctx) {
  const Tensor& x = ctx.inputs[0];
  const Shape shape = with_ones(x.shape(), sorted_axes(ctx.node));
  return x.contiguous().reshape(shape).broadcast_to(ctx.inputs[1].shape());
}

Tensor sum_to_like_kernel(const KernelContext& ctx) {
  const Tensor& small = ctx.inputs[1];
  const Shape target = with_ones(small.shape(), sorted_axes(ctx.node));
  return sum_to_shape(ctx.inputs[0], target, "sum_to_like").contiguous().reshape(small.shape());
}

// Output: x's dtype, ref's shape (broadcast_like, sum_to_like, reshape_like).
std::vector<ValueInfo> infer_like_ref(const InferContext& ctx) {
  const ValueInfo& x = ctx.inputs[0];
  const ValueInfo& ref = ctx.inputs[1];
  const std::vector<std::int64_t> axes = sorted_axes(ctx.node);
  if (ctx.node.op == "broadcast_like") {
    const ValueInfo padded{x.dtype, with_ones(x.shape, axes)};
    if (padded.shape.size() > ref.shape.size() || broadcast_infos("broadcast_like", padded, ref) != ref.shape) {
      throw Error("broadcast_like", "x broadcastable to the shape of ref", infos_str({x, ref}));
    }
  } else if (ctx.node.op == "sum_to_like") {
    const ValueInfo padded{ref.dtype, with_ones(ref.shape, axes)};
    if (padded.shape.size() > x.shape.size() || broadcast_infos("sum_to_like", padded, x) != x.shape) {
      throw Error("sum_to_like", "ref's shape to broadcast to x's shape", infos_str({x, ref}));
    }
  }
  return {{x.dtype, ref.shape}};
}

std::vector<ValueInfo> infer_reshape(const InferContext& ctx) {
  const ValueInfo& x = ctx.inputs[0];
  Shape shape = ctx.node.attr_ints("shape");
  const auto unknown = std::count(shape.begin(), shape.end(), -1);
  if (unknown > 1 || std::any_of(shape.begin(), shape.end(), [](std::int64_t d) { return d < -1; })) {
    throw Error("reshape", "attr shape with sizes >= 0 and at most one -1", shape_str(shape));
  }
  if (!is_static(x.shape)) return {{x.dtype, shape}};  // checked at run time
  const std::int64_t known = shape_numel(x.shape);
  std::int64_t product = 1;
  for (std::int64_t d : shape) {
    if (__builtin_mul_overflow(product, d == -1 ? 1 : d, &product)) {  // sizes from a file may be anything
      throw Error("reshape", "a shape whose element count fits in 64 bits", shape_str(ctx.node.attr_ints("shape")));
    }
  }
  if (unknown == 1 && product != 0 && known % product == 0) {
    *std::find(shape.begin(), shape.end(), -1) = known / product;
  } else if (unknown == 1 || product != known) {
    throw Error("reshape", "a shape with " + std::to_string(known) + " elements", info_str(x) + " to " + shape_str(ctx.node.attr_ints("shape")));
  }
  return {{x.dtype, shape}};
}

std::vector<ValueInfo> same(const InferContext& ctx) { return {ctx.inputs[0]}; }

OpDef op(const std::string& name, int num_inputs, std::function<std::vector<ValueInfo>(const InferContext&)> infer,
         std::function<Tensor(const KernelContext&)> kernel, std::function<Grads(const VjpContext&)> vjp,
         const std::string& doc) {
  OpDef def;
  def.name = name;
  def.num_inputs = num_inputs;
  def.infer = std::move(infer);
  def.kernel = [kernel](const KernelContext& ctx) { return std::vector<Tensor>{kernel(ctx)}; };
  def.vjp = std::move(vjp);
  def.doc = doc;
  return def;
}

Attributes axes_attr(const Node& node) {
  Attributes attrs;
  if (node.has_attr("axes")) attrs["axes"] = node.attr_ints("axes");
  return attrs;
}

}  // namespace

void register_shape_ops() {
  add_builtin_op(op("sum", 1, infer_reduce, reduce_kernel, sum_vjp, "sum over attr axes (empty = all), attr keepdim 0/1"));
  add_builtin_op(op("mean", 1, infer_reduce, reduce_kernel, mean_vjp, "mean over attr axes (empty = all), attr keepdim 0/1"));
  add_builtin_op(op(
      "reshape", 1, infer_reshape,
      [](const KernelContext& ctx) { return ctx.inputs[0].contiguous().reshape(ctx.node.attr_ints("shape")); },
      [](const VjpContext& ctx) -> Grads {
        const ValueInfo& x = ctx.input_info(0);
        if (is_static(x.shape)) return {ctx.emit("reshape", {*ctx.output_grads[0]}, {{"shape", x.shape}})};
        return {ctx.emit("reshape_like", {*ctx.output_grads[0], ctx.input(0)})};
      },
      "the same elements in attr shape (one entry may be -1)"));
  add_builtin_op(op(
      "reshape_like", 2, infer_like_ref,
      [](const KernelContext& ctx) { return ctx.inputs[0].contiguous().reshape(ctx.inputs[1].shape()); },
      [](const VjpContext& ctx) -> Grads { return {ctx.emit("reshape_like", {*ctx.output_grads[0], ctx.input(0)}), std::nullopt}; },
      "x reshaped to the shape of ref"));
  add_builtin_op(op(
      "broadcast_like", 2, infer_like_ref, broadcast_like_kernel,
      [](const VjpContext& ctx) -> Grads {
        return {ctx.emit("sum_to_like", {*ctx.output_grads[0], ctx.input(0)}, axes_attr(ctx.node)), std::nullopt};
      },
      "x broadcast to the shape of ref (attr axes: axes x lacks, inserted first)"));
  add_builtin_op(op(
      "sum_to_like", 2, infer_like_ref, sum_to_like_kernel,
      [](const VjpContext& ctx) -> Grads {
        return {ctx.emit("broadcast_like", {*ctx.output_grads[0], ctx.input(0)}, axes_attr(ctx.node)), std::nullopt};
      },
      "x summed over broadcast axes down to the shape of ref (the VJP of broadcasting)"));
  add_builtin_op(op(
      "zeros_like", 1, same, [](const KernelContext& ctx) { return Tensor::zeros(ctx.inputs[0].shape(), ctx.inputs[0].dtype()); },
      [](const VjpContext&) -> Grads { return {std::nullopt}; }, "zeros of x's shape and dtype"));
  add_builtin_op(op(
      "ones_like", 1, same, [](const KernelContext& ctx) { return Tensor::ones(ctx.inputs[0].shape(), ctx.inputs[0].dtype()); },
      [](const VjpContext&) -> Grads { return {std::nullopt}; }, "ones of x's shape and dtype"));
  add_builtin_op(op(
      "cast",
      1,
      [](const InferContext& ctx) {
        return std::vector<ValueInfo>{{dtype_from_name(ctx.node.attr_string("dtype")), ctx.inputs[0].shape}};
      },
      [](const KernelContext& ctx) { return ctx.inputs[0].to(dtype_from_name(ctx.node.attr_string("dtype"))); },
      [](const VjpContext& ctx) -> Grads {
        const DType from = ctx.input_info(0).dtype;
        if (!is_floating(from) || !is_floating(dtype_from_name(ctx.node.attr_string("dtype")))) return {std::nullopt};
        return {ctx.emit("cast", {*ctx.output_grads[0]}, {{"dtype", std::string(dtype_name(from))}})};
      },
      "x converted to attr dtype (\"f32\", \"f64\", ...)"));
}

}  // namespace gb::graph::detail
