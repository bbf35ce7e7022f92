// ops_elementwise.cpp: the broadcasting binary ops (add sub mul div pow), neg, the comparisons and
// logical ops (u8 results, no gradient) and where. Every VJP of a broadcasting op sums the adjoint
// back to its operand's shape with sum_to_like (reduce_like), so it also works for dynamic shapes.
#include <cmath>

#include "gb/core/math.hpp"
#include "gb/core/ops.hpp"
#include "internal.hpp"

namespace gb::graph::detail {

namespace {

using Grads = std::vector<std::optional<ValueId>>;

// f(a[i], b[i]) over the broadcast shape of two floating tensors of one dtype (pow).
template <class F> Tensor binary_floating(const Tensor& a, const Tensor& b, const std::string& op, F f) {
  require_floating(a, op);
  require_floating(b, op);
  if (a.dtype() != b.dtype()) {
    throw Error(op, "operands of the same dtype", std::string(dtype_name(a.dtype())) + " and " + dtype_name(b.dtype()));
  }
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  const Tensor x = a.broadcast_to(shape).contiguous(), y = b.broadcast_to(shape).contiguous();
  Tensor out = Tensor::empty(shape, a.dtype());
  dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* xs = x.data<T>();
      const T* ys = y.data<T>();
      T* zs = out.data<T>();
      for (std::int64_t i = 0; i < out.numel(); ++i) zs[i] = static_cast<T>(f(static_cast<double>(xs[i]), static_cast<double>(ys[i])));
    }
  });
  return out;
}

std::vector<ValueInfo> infer_arithmetic(const InferContext& ctx) {
  const std::string& op = ctx.node.op;
  require_same_dtype(op, ctx.inputs[0], ctx.inputs[1]);
  return {{ctx.inputs[0].dtype, broadcast_infos(op, ctx.inputs[0], ctx.inputs[1])}};
}

std::vector<ValueInfo> infer_compare(const InferContext& ctx) {
  const std::string& op = ctx.node.op;
  require_same_dtype(op, ctx.inputs[0], ctx.inputs[1]);
  return {{DType::u8, broadcast_infos(op, ctx.inputs[0], ctx.inputs[1])}};
}

std::vector<ValueInfo> infer_logical(const InferContext& ctx) {
  for (const ValueInfo& in : ctx.inputs) {
    if (in.dtype != DType::u8) throw Error(ctx.node.op, "u8 operands (0/1 masks)", infos_str(ctx.inputs));
  }
  if (ctx.inputs.size() == 1) return {ctx.inputs[0]};
  return {{DType::u8, broadcast_infos(ctx.node.op, ctx.inputs[0], ctx.inputs[1])}};
}

void require_u8(const Tensor& t, const std::string& op) {
  require_defined(t, op);
  if (t.dtype() != DType::u8) throw Error(op, "a u8 mask", std::string("dtype ") + dtype_name(t.dtype()));
}

// out[i] = f(a[i], b[i]) on u8 masks (broadcasting).
template <class F> Tensor logical(const Tensor& a, const Tensor& b, const std::string& op, F f) {
  require_u8(a, op);
  require_u8(b, op);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  const Tensor x = a.broadcast_to(shape).contiguous(), y = b.broadcast_to(shape).contiguous();
  Tensor out = Tensor::empty(shape, DType::u8);
  const std::uint8_t* xs = x.data<std::uint8_t>();
  const std::uint8_t* ys = y.data<std::uint8_t>();
  std::uint8_t* zs = out.data<std::uint8_t>();
  for (std::int64_t i = 0; i < out.numel(); ++i) zs[i] = f(xs[i] != 0, ys[i] != 0) ? 1 : 0;
  return out;
}

Tensor where_kernel(const Tensor& cond, const Tensor& a, const Tensor& b) {
  require_u8(cond, "where");
  require_defined(a, "where");
  require_defined(b, "where");
  if (a.dtype() != b.dtype()) {
    throw Error("where", "a and b of the same dtype", std::string(dtype_name(a.dtype())) + " and " + dtype_name(b.dtype()));
  }
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  const Tensor c = cond.broadcast_to(shape).contiguous();
  const Tensor x = a.broadcast_to(shape).contiguous(), y = b.broadcast_to(shape).contiguous();
  Tensor out = Tensor::empty(shape, a.dtype());
  const std::uint8_t* cs = c.data<std::uint8_t>();
  dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    const T* ys = y.data<T>();
    T* zs = out.data<T>();
    for (std::int64_t i = 0; i < out.numel(); ++i) zs[i] = cs[i] ? xs[i] : ys[i];
  });
  return out;
}

// --- the VJP rules ---------------------------------------------------------------------------------
// z = a + b: both operands receive the adjoint, summed back over the axes broadcasting stretched.
Grads add_vjp(const VjpContext& ctx) {
  const ValueId g = *ctx.output_grads[0];
  return {ctx.needs_grad(0) ? Grads::value_type(reduce_like(ctx, g, ctx.input(0))) : std::nullopt,
          ctx.needs_grad(1) ? Grads::value_type(reduce_like(ctx, g, ctx.input(1))) : std::nullopt};
}

// z = a - b: like add, with the adjoint of b negated.
Grads sub_vjp(const VjpContext& ctx) {
  const ValueId g = *ctx.output_grads[0];
  Grads grads(2);
  if (ctx.needs_grad(0)) grads[0] = reduce_like(ctx, g, ctx.input(0));
  if (ctx.needs_grad(1)) grads[1] = reduce_like(ctx, ctx.emit("neg", {g}), ctx.input(1));
  return grads;
}

// z = a * b: dz/da = b, dz/db = a, so a's adjoint is g * b and b's is g * a (then summed back to
// each operand's shape, undoing the broadcast). a and b are forward values: saved-tensor edges.
Grads mul_vjp(const VjpContext& ctx) {
  // BEGIN EXERCISE(graph.backward.vjp)
  const ValueId g = *ctx.output_grads[0];
  const ValueId a = ctx.input(0), b = ctx.input(1);
  Grads grads(2);
  if (ctx.needs_grad(0)) grads[0] = reduce_like(ctx, ctx.emit("mul", {g, b}), a);
  if (ctx.needs_grad(1)) grads[1] = reduce_like(ctx, ctx.emit("mul", {g, a}), b);
  return grads;
  // END EXERCISE
}

// z = a / b: da = g / b, db = -g a / b^2 = -g z / b (z is the node's own output).
Grads div_vjp(const VjpContext& ctx) {
  const ValueId g = *ctx.output_grads[0];
  const ValueId b = ctx.input(1), z = ctx.node.outputs[0];
  Grads grads(2);
  if (ctx.needs_grad(0)) grads[0] = reduce_like(ctx, ctx.emit("div", {g, b}), ctx.input(0));
  if (ctx.needs_grad(1)) {
    grads[1] = reduce_like(ctx, ctx.emit("neg", {ctx.emit("mul", {g, ctx.emit("div", {z, b})})}), b);
  }
  return grads;
}

Grads neg_vjp(const VjpContext& ctx) { return {ctx.emit("neg", {*ctx.output_grads[0]})}; }

// z = a^b: dz/da = b a^(b-1), dz/db = z log(a) (needs a > 0; NaN otherwise, like PyTorch).
Grads pow_vjp(const VjpContext& ctx) {
  const ValueId g = *ctx.output_grads[0];
  const ValueId a = ctx.input(0), b = ctx.input(1), z = ctx.node.outputs[0];
  Grads grads(2);
  if (ctx.needs_grad(0)) {
    const ValueId b_minus_1 = ctx.emit("sub", {b, ctx.emit("ones_like", {b})});
    const ValueId local = ctx.emit("mul", {b, ctx.emit("pow", {a, b_minus_1})});
    grads[0] = reduce_like(ctx, ctx.emit("mul", {g, local}), a);
  }
  if (ctx.needs_grad(1)) grads[1] = reduce_like(ctx, ctx.emit("mul", {g, ctx.emit("mul", {z, ctx.emit("log", {a})})}), b);
  return grads;
}

// where(c, a, b): the adjoint goes to a where c holds and to b elsewhere; c gets none.
Grads where_vjp(const VjpContext& ctx) {
  const ValueId g = *ctx.output_grads[0];
  const ValueId c = ctx.input(0);
  Grads grads(3);
  if (ctx.needs_grad(1) || ctx.needs_grad(2)) {
    const ValueId zero = ctx.emit("zeros_like", {g});
    if (ctx.needs_grad(1)) grads[1] = reduce_like(ctx, ctx.emit("where", {c, g, zero}), ctx.input(1));
    if (ctx.needs_grad(2)) grads[2] = reduce_like(ctx, ctx.emit("where", {c, zero, g}), ctx.input(2));
  }
  return grads;
}

Grads no_gradient(const VjpContext& ctx) { return Grads(ctx.node.inputs.size()); }

void binary(const std::string& name, Tensor (*f)(const Tensor&, const Tensor&),
            std::function<Grads(const VjpContext&)> vjp, const std::string& doc) {
  OpDef def;
  def.name = name;
  def.num_inputs = 2;
  def.infer = infer_arithmetic;
  def.kernel = [f](const KernelContext& ctx) { return std::vector<Tensor>{f(ctx.inputs[0], ctx.inputs[1])}; };
  def.vjp = std::move(vjp);
  def.doc = doc;
  add_builtin_op(std::move(def));
}

void compare(const std::string& name, Tensor (*f)(const Tensor&, const Tensor&), const std::string& doc) {
  OpDef def;
  def.name = name;
  def.num_inputs = 2;
  def.infer = infer_compare;
  def.kernel = [f](const KernelContext& ctx) { return std::vector<Tensor>{f(ctx.inputs[0], ctx.inputs[1])}; };
  def.vjp = no_gradient;
  def.doc = doc + " (u8 0/1, no gradient)";
  add_builtin_op(std::move(def));
}

}  // namespace

void register_elementwise_ops() {
  binary("add", gb::add, add_vjp, "a + b with NumPy broadcasting");
  binary("sub", gb::sub, sub_vjp, "a - b with NumPy broadcasting");
  binary("mul", gb::mul, mul_vjp, "a * b with NumPy broadcasting");
  binary("div", gb::div, div_vjp, "a / b with NumPy broadcasting");
  binary(
      "pow", [](const Tensor& a, const Tensor& b) { return binary_floating(a, b, "pow", [](double x, double y) { return std::pow(x, y); }); },
      pow_vjp, "a ^ b elementwise (floating; d/db needs a > 0)");
  {
    OpDef def;
    def.name = "neg";
    def.num_inputs = 1;
    def.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{ctx.inputs[0]}; };
    def.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{gb::neg(ctx.inputs[0])}; };
    def.vjp = neg_vjp;
    def.doc = "-x";
    add_builtin_op(std::move(def));
  }
  compare("gt", gb::gt, "a > b");
  compare("lt", gb::lt, "a < b");
  compare("ge", gb::ge, "a >= b");
  compare("le", gb::le, "a <= b");
  compare("eq", gb::eq, "a == b");
  compare("ne", gb::ne, "a != b");
  {
    OpDef def;
    def.name = "logical_and";
    def.num_inputs = 2;
    def.infer = infer_logical;
    def.kernel = [](const KernelContext& ctx) {
      return std::vector<Tensor>{logical(ctx.inputs[0], ctx.inputs[1], "logical_and", [](bool x, bool y) { return x && y; })};
    };
    def.vjp = no_gradient;
    def.doc = "a and b on u8 masks";
    add_builtin_op(def);
    def.name = "logical_or";
    def.kernel = [](const KernelContext& ctx) {
      return std::vector<Tensor>{logical(ctx.inputs[0], ctx.inputs[1], "logical_or", [](bool x, bool y) { return x || y; })};
    };
    def.doc = "a or b on u8 masks";
    add_builtin_op(def);
    def.name = "logical_not";
    def.num_inputs = 1;
    def.kernel = [](const KernelContext& ctx) {
      const Tensor& a = ctx.inputs[0];
      return std::vector<Tensor>{logical(a, Tensor::zeros(a.shape(), DType::u8), "logical_not", [](bool x, bool) { return !x; })};
    };
    def.doc = "not a on a u8 mask";
    add_builtin_op(def);
  }
  {
    OpDef def;
    def.name = "where";
    def.num_inputs = 3;
    def.infer = [](const InferContext& ctx) {
      if (ctx.inputs[0].dtype != DType::u8) throw Error("where", "a u8 condition", infos_str(ctx.inputs));
      require_same_dtype("where", ctx.inputs[1], ctx.inputs[2]);
      const ValueInfo ab{ctx.inputs[1].dtype, broadcast_infos("where", ctx.inputs[1], ctx.inputs[2])};
      return std::vector<ValueInfo>{{ab.dtype, broadcast_infos("where", ctx.inputs[0], ab)}};
    };
    def.kernel = [](const KernelContext& ctx) {
      return std::vector<Tensor>{where_kernel(ctx.inputs[0], ctx.inputs[1], ctx.inputs[2])};
    };
    def.vjp = where_vjp;
    def.doc = "cond ? a : b elementwise (cond u8; gradient masked to a and b)";
    add_builtin_op(std::move(def));
  }
}

}  // namespace gb::graph::detail
