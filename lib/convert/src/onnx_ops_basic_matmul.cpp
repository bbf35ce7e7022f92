// onnx_ops_basic_matmul.cpp: the basic ONNX ops, part 4: the two matrix products.
//   MatMul  NumPy's matmul: a 1-D A is a row [1, K], a 1-D B a column [K, 1] (the added axis is removed
//           from the result); leading batch axes broadcast; each batch is one GEMM.
//   Gemm    Y = alpha * A' B' + beta * C, A' = transA ? A^T : A ([M, K]), B' = transB ? B^T : B ([K, N]),
//           C (optional, opset 11+) broadcast to [M, N]. It is one call of the BLAS routine it is named
//           after: C = alpha op(A) op(B) + beta C.
// f32 runs on lib/kernels' GEMM (the fastest rung this CPU has); f64 and integers on gb::matmul, the
// reference.
#include <algorithm>

#include "gb/core/ops.hpp"
#include "gb/kernels/gemm.hpp"
#include "onnx_import_internal.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

using graph::InferContext;
using graph::KernelContext;
using graph::OpDef;
using graph::ValueInfo;
using graph::info_str;

namespace {

// Sizes equal, or one of them dynamic (-1): the known one wins.
bool agree(std::int64_t a, std::int64_t b) { return a == b || a < 0 || b < 0; }
std::int64_t known(std::int64_t a, std::int64_t b) { return a < 0 ? b : a; }

// The shape of matmul(a, b): batch = broadcast(a[:-2], b[:-2]), then [M, N] without the promoted axes.
Shape matmul_shape(const ValueInfo& a, const ValueInfo& b) {
  if (a.dtype != b.dtype) throw Error("MatMul", "operands of one dtype", infos_text({a, b}));
  if (a.shape.empty() || b.shape.empty()) throw Error("MatMul", "operands of rank >= 1", infos_text({a, b}));
  ValueInfo a2 = a, b2 = b;
  if (a.shape.size() == 1) a2.shape.insert(a2.shape.begin(), 1);
  if (b.shape.size() == 1) b2.shape.push_back(1);
  const std::int64_t m = a2.shape[a2.shape.size() - 2], k = a2.shape.back();
  const std::int64_t k2 = b2.shape[b2.shape.size() - 2], n = b2.shape.back();
  if (!agree(k, k2)) throw Error("MatMul", "inner dimensions that agree", infos_text({a, b}));
  const ValueInfo batch_a{a.dtype, Shape(a2.shape.begin(), a2.shape.end() - 2)};
  const ValueInfo batch_b{b.dtype, Shape(b2.shape.begin(), b2.shape.end() - 2)};
  Shape out = broadcast_shapes("MatMul", batch_a, batch_b);
  if (a.shape.size() > 1) out.push_back(m);
  if (b.shape.size() > 1) out.push_back(n);
  return out;
}

// One GEMM per batch of the (broadcast, contiguous) operands [batch, M, K] x [batch, K, N].
Tensor batched_gemm(const Tensor& a, const Tensor& b, std::int64_t batch, std::int64_t m, std::int64_t k, std::int64_t n) {
  Tensor c = Tensor::empty({batch, m, n}, DType::f32);
  for (std::int64_t i = 0; i < batch; ++i) {
    kernels::GemmArgs g;
    g.m = m, g.n = n, g.k = k;
    g.a = a.data<float>() + i * m * k, g.lda = k;
    g.b = b.data<float>() + i * k * n, g.ldb = n;
    g.c = c.data<float>() + i * m * n, g.ldc = n;
    kernels::gemm(kernels::Variant::best, g);
  }
  return c;
}

Tensor matmul(const Tensor& a, const Tensor& b, const Shape& out) {
  if (a.dtype() != DType::f32) return gb::matmul(a, b);
  const Tensor a2 = a.ndim() == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = b.ndim() == 1 ? b.unsqueeze(1) : b;
  const std::int64_t m = a2.size(-2), k = a2.size(-1), n = b2.size(-1);
  Shape batch_shape = out;  // out = batch + [M] + [N], without the promoted axes
  batch_shape.resize(out.size() - (a.ndim() > 1 ? 1 : 0) - (b.ndim() > 1 ? 1 : 0));
  const std::int64_t batch = dims_product(batch_shape, 0, batch_shape.size());
  Shape a_shape = batch_shape, b_shape = batch_shape;
  a_shape.insert(a_shape.end(), {m, k});
  b_shape.insert(b_shape.end(), {k, n});
  // broadcast_to gives stride-0 views; contiguous() copies them so that every batch is a plain matrix
  const Tensor a3 = a2.broadcast_to(a_shape).contiguous(), b3 = b2.broadcast_to(b_shape).contiguous();
  return batched_gemm(a3, b3, batch, m, k, n).reshape(out);
}

OpDef matmul_op() {
  OpDef def;
  def.name = "MatMul";
  def.num_inputs = 2;
  def.infer = [](const InferContext& ctx) {
    return std::vector<ValueInfo>{{ctx.inputs[0].dtype, matmul_shape(ctx.inputs[0], ctx.inputs[1])}};
  };
  def.kernel = [](const KernelContext& ctx) {
    const Tensor &a = ctx.inputs[0], &b = ctx.inputs[1];
    return std::vector<Tensor>{matmul(a, b, matmul_shape({a.dtype(), a.shape()}, {b.dtype(), b.shape()}))};
  };
  def.doc = "ONNX MatMul: NumPy matmul (1-D operands promoted, batch axes broadcast)";
  return def;
}

// --- Gemm ----------------------------------------------------------------------------------------------
struct GemmShape {
  std::int64_t m, k, n;
};

GemmShape gemm_shape(const graph::Node& node, const std::vector<ValueInfo>& in) {
  require_inputs("Gemm", in, 2, 3);
  const ValueInfo &a = in[0], &b = in[1];
  if (a.shape.size() != 2 || b.shape.size() != 2 || a.dtype != b.dtype) {
    throw Error("Gemm", "2-D A and B of one dtype", infos_text(in));
  }
  const bool ta = attr_int(node, "transA", 0) != 0, tb = attr_int(node, "transB", 0) != 0;
  const std::int64_t m = a.shape[ta ? 1 : 0], k = a.shape[ta ? 0 : 1];
  const std::int64_t k2 = b.shape[tb ? 1 : 0], n = b.shape[tb ? 0 : 1];
  if (!agree(k, k2)) throw Error("Gemm", "inner dimensions that agree (after transA, transB)", infos_text(in));
  if (in.size() == 3) {
    // C broadcasts one way only: to [M, N], never the result to C's shape
    const Shape y = broadcast_shapes("Gemm", {a.dtype, {m, n}}, in[2]);
    if (in[2].dtype != a.dtype || y.size() != 2 || !agree(y[0], m) || !agree(y[1], n)) {
      throw Error("Gemm", "C of A's dtype that broadcasts to [M, N] = [" + std::to_string(m) + ", " + std::to_string(n) + "]", infos_text(in));
    }
  }
  return {m, known(k, k2), n};
}

Tensor gemm(const graph::Node& node, const std::vector<Tensor>& in) {
  std::vector<ValueInfo> infos;
  for (const Tensor& t : in) infos.push_back({t.dtype(), t.shape()});
  const GemmShape s = gemm_shape(node, infos);
  const double alpha = attr_float(node, "alpha", 1.0), beta = attr_float(node, "beta", 1.0);
  const bool ta = attr_int(node, "transA", 0) != 0, tb = attr_int(node, "transB", 0) != 0;
  const bool has_c = in.size() == 3;
  if (in[0].dtype() != DType::f32) {  // the reference: the formula, term by term
    const Tensor a = ta ? in[0].transpose() : in[0], b = tb ? in[1].transpose() : in[1];
    Tensor y = gb::mul(gb::matmul(a, b), Tensor::scalar(alpha, a.dtype()));
    return has_c ? gb::add(y, gb::mul(in[2], Tensor::scalar(beta, a.dtype()))) : y;
  }
  // f32: C is broadcast into Y first, then one GEMM call Y = alpha op(A) op(B) + beta Y
  Tensor y = Tensor::zeros({s.m, s.n}, DType::f32);
  if (has_c) y.copy_from(in[2]);
  const Tensor a = in[0].contiguous(), b = in[1].contiguous();
  kernels::GemmArgs g;
  g.m = s.m, g.n = s.n, g.k = s.k;
  g.alpha = static_cast<float>(alpha), g.beta = has_c ? static_cast<float>(beta) : 0.0f;
  g.a = a.data<float>(), g.lda = a.size(1), g.trans_a = ta;
  g.b = b.data<float>(), g.ldb = b.size(1), g.trans_b = tb;
  g.c = y.data<float>(), g.ldc = s.n;
  kernels::gemm(kernels::Variant::best, g);
  return y;
}

OpDef gemm_op() {
  OpDef def;
  def.name = "Gemm";
  def.infer = [](const InferContext& ctx) {
    const GemmShape s = gemm_shape(ctx.node, ctx.inputs);
    return std::vector<ValueInfo>{{ctx.inputs[0].dtype, {s.m, s.n}}};
  };
  def.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{gemm(ctx.node, ctx.inputs)}; };
  def.cost = [](const KernelContext& ctx) {
    const Tensor& a = ctx.inputs[0];
    return 2.0 * static_cast<double>(a.numel()) * static_cast<double>(ctx.inputs[1].numel()) /
           static_cast<double>(std::max<std::int64_t>(1, a.size(attr_int(ctx.node, "transA", 0) != 0 ? 0 : 1)));
  };
  def.doc = "ONNX Gemm: alpha op(A) op(B) + beta C (transA, transB; C broadcast to [M, N])";
  return def;
}

}  // namespace

std::vector<std::string> register_onnx_matmul_ops() {
  graph::register_op(matmul_op());
  graph::register_op(gemm_op());
  return {"MatMul", "Gemm"};
}

}  // namespace gb::convert::detail
