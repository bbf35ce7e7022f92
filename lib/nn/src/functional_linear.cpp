// functional_linear.cpp: linear (a GEMM with its own VJP), flatten, dropout and accuracy.
//
// linear: y = x W^T + b for x [N, in], W [out, in], b [out]. With G = dL/dy [N, out]:
//   dx = G W      [N, in]     (each input feature collects from every output it feeds)
//   dW = G^T x    [out, in]   (a sum over the batch of outer products)
//   db = sum_n G  [out]       (b was broadcast over the batch: its adjoint is summed back)
// For f32 all three are one call each to the fastest GEMM (gb::kernels, Variant::best); the
// transposes are flags of the GEMM, never copies. Under create_graph the same three formulas are
// written with autodiff ops instead, so linear is differentiable twice. Other dtypes (f64) and other
// ranks ([..., in]) use the autodiff ops throughout.
#include <algorithm>
#include <cmath>

#include "functional_common.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/ops.hpp"
#include "gb/nn/functional.hpp"

namespace gb::nn {

namespace ad = gb::autodiff;

namespace {

// The three adjoints of linear, written with differentiable ops (the create_graph path).
std::vector<Variable> linear_vjp_recorded(const ad::VjpContext& ctx) {
  const Variable& g = ctx.adjoint;
  Variable dx = ctx.needs_grad(0) ? ad::matmul(g, ctx.input(1)) : Variable();
  Variable dw = ctx.needs_grad(1) ? ad::matmul(ad::transpose(g), ctx.input(0)) : Variable();
  Variable db = ctx.node.inputs.size() > 2 && ctx.needs_grad(2) ? ad::sum(g, {0}) : Variable();
  return {dx, dw, db};
}

// The same three adjoints by GEMM on plain f32 tensors.
std::vector<Variable> linear_vjp(const ad::VjpContext& ctx) {
  if (ad::grad_enabled()) return linear_vjp_recorded(ctx);
  const Tensor g = ctx.adjoint.value().contiguous();
  const Tensor& x = ctx.node.saved[0];
  const Tensor& w = ctx.node.saved[1];
  const std::int64_t n = x.size(0), in = x.size(1), out = w.size(0);
  std::vector<Variable> adjoints(ctx.node.inputs.size());
  if (ctx.needs_grad(0)) {  // dx = G W: [N, out] x [out, in]
    Tensor dx = Tensor::empty({n, in});
    detail::gemm_f32(false, false, n, in, out, g.data<float>(), out, w.data<float>(), in, 0.0f, dx.data<float>(), in);
    adjoints[0] = ad::constant(dx);
  }
  if (ctx.needs_grad(1)) {  // dW = G^T x: [out, N] x [N, in], G read transposed in place
    Tensor dw = Tensor::empty({out, in});
    detail::gemm_f32(true, false, out, in, n, g.data<float>(), out, x.data<float>(), in, 0.0f, dw.data<float>(), in);
    adjoints[1] = ad::constant(dw);
  }
  if (adjoints.size() > 2 && ctx.needs_grad(2)) {  // db = the column sums of G
    Tensor db = Tensor::zeros({out});
    float* dbp = db.data<float>();
    const float* gp = g.data<float>();
    for (std::int64_t row = 0; row < n; ++row)
      for (std::int64_t j = 0; j < out; ++j) dbp[j] += gp[row * out + j];
    adjoints[2] = ad::constant(db);
  }
  return adjoints;
}

}  // namespace

Variable linear(const Variable& x, const Variable& w, const Variable& b) {
  const Tensor& xv = detail::floating_value_of(x, "linear", "x");
  const Tensor& wv = detail::floating_value_of(w, "linear", "weight");
  if (wv.ndim() != 2 || wv.numel() == 0) {
    throw Error("linear", "a weight of shape [out_features, in_features], both >= 1", shape_str(wv.shape()));
  }
  const std::int64_t in = wv.size(1), out = wv.size(0);
  if (xv.ndim() < 1 || xv.size(-1) != in) {
    throw Error("linear", "x of shape [N, " + std::to_string(in) + "] (in_features = weight.shape[1])",
                "x " + shape_str(xv.shape()) + " with weight " + shape_str(wv.shape()));
  }
  detail::require_same_dtype(xv, wv, "linear", "x and weight");
  if (b.defined()) {
    const Tensor& bv = detail::floating_value_of(b, "linear", "bias");
    if (bv.ndim() != 1 || bv.size(0) != out) {
      throw Error("linear", "a bias of shape [" + std::to_string(out) + "] (out_features)", shape_str(bv.shape()));
    }
    detail::require_same_dtype(xv, bv, "linear", "x and bias");
  }
  if (xv.dtype() != DType::f32 || xv.ndim() != 2) {  // the general path: autodiff ops
    Variable y = ad::matmul(x, ad::transpose(w));
    return b.defined() ? ad::add(y, b) : y;
  }

  // y = x W^T + b: the rows of y start as b (beta = 1 adds the product onto them).
  const Tensor xc = xv.contiguous(), wc = wv.contiguous();
  const std::int64_t n = xc.size(0);
  Tensor y = Tensor::empty({n, out});
  float* yp = y.data<float>();
  if (b.defined()) {
    const Tensor bc = b.value().contiguous();
    for (std::int64_t row = 0; row < n; ++row) std::copy_n(bc.data<float>(), out, yp + row * out);
  }
  detail::gemm_f32(false, true, n, out, in, xc.data<float>(), in, wc.data<float>(), in, b.defined() ? 1.0f : 0.0f, yp,
                   out);
  std::vector<Variable> inputs = {x, w};
  if (b.defined()) inputs.push_back(b);
  return ad::record_op("linear", y, inputs, {xc, wc}, linear_vjp);
}

Variable flatten(const Variable& x) {
  const Tensor& xv = detail::value_of(x, "flatten", "x");
  if (xv.ndim() < 2) throw Error("flatten", "x of shape [N, d1, ...] (at least 2 axes)", shape_str(xv.shape()));
  const Shape rest(xv.shape().begin() + 1, xv.shape().end());
  return ad::reshape(x, {xv.size(0), shape_numel(rest)});
}

// Inverted dropout (Srivastava et al. 2014, as PyTorch does it): scaling the kept elements by
// 1 / (1 - p) in training keeps the expected value of every element, so evaluation needs no scaling.
// y = x * mask with mask = 1/(1-p) (kept) or 0 (dropped); the VJP is the same product, g * mask.
Variable dropout(const Variable& x, double p, bool training, Rng& rng) {
  const Tensor& xv = detail::floating_value_of(x, "dropout", "x");
  if (!(p >= 0.0 && p <= 1.0)) throw Error("dropout", "a probability p in [0, 1]", std::to_string(p));
  if (!training || p == 0.0) return x;
  const double scale = p < 1.0 ? 1.0 / (1.0 - p) : 0.0;  // p = 1 drops everything
  std::vector<double> keep(static_cast<std::size_t>(xv.numel()));
  for (double& m : keep) m = rng.uniform() >= p ? scale : 0.0;  // kept with probability 1 - p
  Tensor mask = Tensor::from_values(keep, xv.shape(), xv.dtype());
  return ad::record_op("dropout", gb::mul(xv, mask), {x}, {mask}, [](const ad::VjpContext& ctx) {
    return std::vector<Variable>{ad::mul(ctx.adjoint, ad::constant(ctx.node.saved[0]))};
  });
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  if (!logits.defined() || logits.ndim() != 2 || !is_floating(logits.dtype()) || logits.size(0) == 0 ||
      logits.size(1) == 0) {
    throw Error("accuracy", "logits of shape [N, C] (f32 or f64, N, C >= 1)",
                logits.defined() ? std::string(dtype_name(logits.dtype())) + shape_str(logits.shape())
                                 : std::string("an undefined tensor"));
  }
  const std::int64_t n = logits.size(0), classes = logits.size(1);
  if (!labels.defined() || labels.dtype() != DType::i64 || labels.shape() != Shape{n}) {
    throw Error("accuracy", "labels of dtype i64 and shape [" + std::to_string(n) + "]",
                labels.defined() ? std::string(dtype_name(labels.dtype())) + shape_str(labels.shape())
                                 : std::string("an undefined tensor"));
  }
  const Tensor predicted = gb::argmax(logits, 1);  // the first maximum of each row, like torch.argmax
  const Tensor lc = labels.contiguous();
  const std::int64_t* label = lc.data<std::int64_t>();
  const std::int64_t* guess = predicted.data<std::int64_t>();
  std::int64_t correct = 0;
  for (std::int64_t row = 0; row < n; ++row) {
    if (label[row] < 0 || label[row] >= classes) {
      throw Error("accuracy", "labels in [0, " + std::to_string(classes) + ")",
                  std::to_string(label[row]) + " at row " + std::to_string(row));
    }
    correct += guess[row] == label[row] ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace gb::nn
