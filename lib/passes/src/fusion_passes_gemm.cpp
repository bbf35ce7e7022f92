// fusion_passes_gemm.cpp: the matrix-product rules of lesson 17.
//
// matmul_add_to_gemm (fusion), matched at the Add:
//   Add(MatMul(a, B), c), a 2-D, B a 2-D constant, c broadcastable to the product [M, N] (the Add must not
//   make the result larger) -> Gemm(a, B, c). BLAS's GEMM computes C = alpha op(A) op(B) + beta C in one
//   call: the bias is loaded into the output first and the products accumulate onto it, so the separate
//   pass of the Add over [M, N] disappears. The MatMul's output must have no other reader.
// linear_to_conv1x1 (replacement, opt-in):
//   Gemm(x [N, K], W, b) with a constant W, transA = 0 and a per-output bias (absent, or a constant whose
//   only size > 1 is M, on the last axis) -> Reshape [N, K, 1, 1] -> Conv 1x1 -> Reshape [N, M].
//   A fully connected layer is a 1x1 convolution over a 1x1 image: y[n, m] = sum_k W'[m, k, 0, 0] x[n, k]
//   + b'[m] with W'[m, k] = alpha op(W)[k, m] and b'[m] = beta b[m]. An engine with a fast convolution
//   (and NC4HW4 regions, layout_pass.hpp) then runs the classifier head with the same kernels.
#include "fusion_internal.hpp"
#include "gb/core/shape.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

namespace detail {

namespace {

// Whether c broadcasts to [m, n] without making it larger (Gemm's one-way broadcasting of C).
bool broadcasts_to(const Shape& c, std::int64_t m, std::int64_t n) {
  if (c.size() > 2) return false;
  const std::int64_t target[2] = {m, n};
  for (std::size_t j = 0; j < c.size(); ++j) {
    const std::int64_t want = target[2 - c.size() + j];
    if (c[j] != 1 && (c[j] < 0 || c[j] != want)) return false;
  }
  return true;
}

bool fuse_matmul_add(Rewriter& rw, const Node& add, std::vector<Rewrite>& log) {
  if (add.op != "Add" || add.inputs.size() != 2) return false;
  const graph::ValueInfo& out = rw.source().value(add.outputs.at(0)).info;
  for (std::size_t k = 0; k < 2; ++k) {
    const Node& mm = rw.producer(add.inputs[k]);
    if (mm.op != "MatMul" || mm.inputs.size() != 2 || !rw.single_consumer(add.inputs[k])) continue;
    const graph::ValueInfo& a = rw.source().value(mm.inputs[0]).info;
    const Tensor* b = f32_constant(rw, mm.inputs[1]);
    if (a.dtype != DType::f32 || a.shape.size() != 2 || b == nullptr || b->ndim() != 2) continue;
    const graph::ValueInfo& y = rw.source().value(mm.outputs[0]).info;
    const ValueId c = add.inputs[1 - k];
    const graph::ValueInfo& c_info = rw.source().value(c).info;
    if (out.shape != y.shape || c_info.dtype != DType::f32 || !broadcasts_to(c_info.shape, y.shape[0], y.shape[1])) continue;

    Rewrite r{"matmul_add_gemm", {mm.id, add.id}, {}, ""};
    r.after.push_back(emit_for(rw, add, "Gemm", {rw.map(mm.inputs[0]), rw.map(mm.inputs[1]), rw.map(c)}, {}, mm.name));
    r.detail = "Y = A B + C in one GEMM call: A " + graph::info_str(a) + ", B " + shape_str(b->shape()) + ", C " +
               graph::info_str(c_info);
    log.push_back(std::move(r));
    return true;
  }
  return false;
}

// The per-output bias b'[m] = beta C[m] of a Gemm with M outputs, or false when C varies along N.
bool per_output_bias(const Rewriter& rw, const Node& gemm, std::int64_t m, double beta, std::vector<double>& out) {
  out.assign(static_cast<std::size_t>(m), 0.0);
  if (gemm.inputs.size() < 3) return true;
  const Tensor* c = f32_constant(rw, gemm.inputs[2]);
  if (c == nullptr || c->ndim() > 2) return false;
  if (c->ndim() == 2 && c->size(0) != 1) return false;
  if (c->ndim() >= 1 && c->size(-1) != m && c->size(-1) != 1) return false;
  const std::vector<double> v = c->to_vector();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = beta * v[v.size() == 1 ? 0 : i];
  return true;
}

bool gemm_to_conv1x1(Rewriter& rw, const Node& gemm, std::vector<Rewrite>& log) {
  if (gemm.op != "Gemm" || gemm.inputs.size() < 2) return false;
  if (gemm.has_attr("transA") && gemm.attr_int("transA") != 0) return false;
  const graph::ValueInfo& x = rw.source().value(gemm.inputs[0]).info;
  const Tensor* w = f32_constant(rw, gemm.inputs[1]);
  if (x.dtype != DType::f32 || x.shape.size() != 2 || x.shape[1] < 0 || w == nullptr || w->ndim() != 2) return false;
  const bool trans_b = gemm.has_attr("transB") && gemm.attr_int("transB") != 0;
  const std::int64_t k = x.shape[1], m = w->size(trans_b ? 0 : 1);
  if (w->size(trans_b ? 1 : 0) != k) return false;
  const double alpha = gemm.has_attr("alpha") ? gemm.attr_float("alpha") : 1.0;
  const double beta = gemm.has_attr("beta") ? gemm.attr_float("beta") : 1.0;
  std::vector<double> bias;
  if (!per_output_bias(rw, gemm, m, beta, bias)) return false;

  // W'[o, i, 0, 0] = alpha op(W)[i, o]: filter o holds the weights of output o.
  const std::vector<double> wv = w->to_vector();
  std::vector<double> filters(static_cast<std::size_t>(m * k));
  for (std::int64_t o = 0; o < m; ++o) {
    for (std::int64_t i = 0; i < k; ++i) {
      filters[static_cast<std::size_t>(o * k + i)] = alpha * wv[static_cast<std::size_t>(trans_b ? o * k + i : i * m + o)];
    }
  }
  Rewrite r{"linear_to_conv1x1", {gemm.id}, {}, ""};
  const ValueId w_new = emit_constant(rw, f32_tensor(filters, {m, k, 1, 1}), gemm.name + "_W_1x1", r.after);
  const ValueId b_new = emit_constant(rw, f32_tensor(bias, {m}), gemm.name + "_B_1x1", r.after);
  const ValueId image = rw.emit1("Reshape", {rw.map(gemm.inputs[0])}, {{"shape", std::vector<std::int64_t>{-1, k, 1, 1}}},
                                 gemm.name + "_to_image", gemm.id);
  const ValueId conv = rw.emit1("Conv", {image, w_new, b_new}, {{"kernel_shape", std::vector<std::int64_t>{1, 1}}},
                                gemm.name + "_conv1x1", gemm.id);
  r.after.push_back(rw.target().value(image).producer);
  r.after.push_back(rw.target().value(conv).producer);
  r.after.push_back(emit_for(rw, gemm, "Reshape", {conv}, {{"shape", std::vector<std::int64_t>{-1, m}}}, gemm.name + "_to_rows"));
  r.detail = "a fully connected layer [N, " + std::to_string(k) + "] -> [N, " + std::to_string(m) + "] as a 1x1 Conv of " +
             std::to_string(m) + " filters on [N, " + std::to_string(k) + ", 1, 1]";
  log.push_back(std::move(r));
  return true;
}

}  // namespace

}  // namespace detail

Pass matmul_add_to_gemm() {
  return detail::rule_pass("matmul_add_to_gemm", "fusion",
                           "Add(MatMul(a, B), c) with 2-D a and constant B -> Gemm(a, B, c): one BLAS call",
                           detail::fuse_matmul_add);
}

Pass linear_to_conv1x1() {
  return detail::rule_pass("linear_to_conv1x1", "replacement",
                           "Gemm(x [N, K], W, b) -> Reshape, Conv 1x1, Reshape: a fully connected layer is a 1x1 convolution",
                           detail::gemm_to_conv1x1);
}

}  // namespace gb::passes
