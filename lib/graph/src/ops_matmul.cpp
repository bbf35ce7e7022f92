// ops_matmul.cpp: matmul (2-D, and batched with broadcast batch axes, like gb::matmul) and transpose.
//
// For C = A B with G = dL/dC:  dA = G B^T,  dB = A^T G  (per batch entry; a broadcast batch axis is
// summed back with sum_to_like).
#include "gb/core/ops.hpp"
#include "internal.hpp"

namespace gb::graph::detail {

namespace {

using Grads = std::vector<std::optional<ValueId>>;

std::vector<ValueInfo> infer_matmul(const InferContext& ctx) {
  const ValueInfo& a = ctx.inputs[0];
  const ValueInfo& b = ctx.inputs[1];
  if (a.shape.size() < 2 || b.shape.size() < 2) {
    throw Error("matmul", "operands with at least two axes (matrices or batches of matrices)", infos_str({a, b}));
  }
  require_same_dtype("matmul", a, b);
  const std::int64_t k_a = a.shape.back(), k_b = b.shape[b.shape.size() - 2];
  if (k_a != k_b && k_a != -1 && k_b != -1) throw Error("matmul", "inner dimensions that agree", infos_str({a, b}));
  const ValueInfo batch_a{a.dtype, Shape(a.shape.begin(), a.shape.end() - 2)};
  const ValueInfo batch_b{b.dtype, Shape(b.shape.begin(), b.shape.end() - 2)};
  Shape out = broadcast_infos("matmul", batch_a, batch_b);
  out.push_back(a.shape[a.shape.size() - 2]);
  out.push_back(b.shape.back());
  return {{a.dtype, out}};
}

// Two multiply-adds per output element and inner index.
double matmul_cost(const KernelContext& ctx) {
  const Tensor& a = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  const Shape batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                                       Shape(b.shape().begin(), b.shape().end() - 2), "matmul");
  return 2.0 * static_cast<double>(shape_numel(batch) * a.size(-2) * a.size(-1) * b.size(-1));
}

Grads matmul_vjp(const VjpContext& ctx) {
  // BEGIN EXERCISE(graph.backward.vjp)
  const ValueId g = *ctx.output_grads[0];
  const ValueId a = ctx.input(0), b = ctx.input(1);
  Grads grads(2);
  if (ctx.needs_grad(0)) grads[0] = reduce_like(ctx, ctx.emit("matmul", {g, ctx.emit("transpose", {b})}), a);
  if (ctx.needs_grad(1)) grads[1] = reduce_like(ctx, ctx.emit("matmul", {ctx.emit("transpose", {a}), g}), b);
  return grads;
  // END EXERCISE
}

// The permutation a transpose node applies: attr "perm", or the last two axes swapped.
std::vector<std::int64_t> permutation(const Node& node, std::size_t rank) {
  if (node.has_attr("perm")) {
    const std::vector<std::int64_t>& perm = node.attr_ints("perm");
    std::vector<bool> seen(rank, false);
    bool ok = perm.size() == rank;
    for (std::int64_t p : perm) {
      ok = ok && p >= 0 && p < static_cast<std::int64_t>(rank) && !seen[static_cast<std::size_t>(p)];
      if (ok) seen[static_cast<std::size_t>(p)] = true;
    }
    if (!ok) throw Error("transpose", "attr perm, a permutation of 0.." + std::to_string(rank) + "-1", shape_str(perm));
    return perm;
  }
  if (rank < 2) throw Error("transpose", "an operand with at least two axes (or attr perm)", std::to_string(rank) + " axes");
  std::vector<std::int64_t> perm(rank);
  for (std::size_t k = 0; k < rank; ++k) perm[k] = static_cast<std::int64_t>(k);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

}  // namespace

void register_matmul_ops() {
  OpDef matmul;
  matmul.name = "matmul";
  matmul.num_inputs = 2;
  matmul.infer = infer_matmul;
  matmul.kernel = [](const KernelContext& ctx) {
    if (ctx.inputs[0].ndim() < 2 || ctx.inputs[1].ndim() < 2) {
      throw Error("matmul", "operands with at least two axes",
                  shape_str(ctx.inputs[0].shape()) + " and " + shape_str(ctx.inputs[1].shape()));
    }
    return std::vector<Tensor>{gb::matmul(ctx.inputs[0], ctx.inputs[1])};
  };
  matmul.vjp = matmul_vjp;
  matmul.cost = matmul_cost;
  matmul.doc = "matrix product, batch axes broadcast (a[..., m, k] @ b[..., k, n])";
  add_builtin_op(std::move(matmul));

  OpDef transpose;
  transpose.name = "transpose";
  transpose.num_inputs = 1;
  transpose.infer = [](const InferContext& ctx) {
    const std::vector<std::int64_t> perm = permutation(ctx.node, ctx.inputs[0].shape.size());
    Shape out;
    for (std::int64_t p : perm) out.push_back(ctx.inputs[0].shape[static_cast<std::size_t>(p)]);
    return std::vector<ValueInfo>{{ctx.inputs[0].dtype, out}};
  };
  transpose.kernel = [](const KernelContext& ctx) {
    return std::vector<Tensor>{ctx.inputs[0].permute(permutation(ctx.node, ctx.inputs[0].ndim()))};
  };
  // The adjoint goes back through the inverse permutation.
  transpose.vjp = [](const VjpContext& ctx) -> Grads {
    if (!ctx.node.has_attr("perm")) return {ctx.emit("transpose", {*ctx.output_grads[0]})};
    const std::vector<std::int64_t>& perm = ctx.node.attr_ints("perm");
    std::vector<std::int64_t> inverse(perm.size());
    for (std::size_t k = 0; k < perm.size(); ++k) inverse[static_cast<std::size_t>(perm[k])] = static_cast<std::int64_t>(k);
    return {ctx.emit("transpose", {*ctx.output_grads[0]}, {{"perm", inverse}})};
  };
  transpose.doc = "swap the last two axes, or permute them by attr perm";
  add_builtin_op(std::move(transpose));
}

}  // namespace gb::graph::detail
