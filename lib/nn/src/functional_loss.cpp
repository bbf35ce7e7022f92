// functional_loss.cpp: the losses, each a mean over the batch (PyTorch's reduction "mean").
//
//   mse_loss       mean((prediction - target)^2)                      autodiff ops (sub, mul, mean)
//   cross_entropy  mean_n -log softmax(z_n)[label_n]                  its own op and VJP (exercise)
//   kl_div         sum p (log p - log_q) / N  ("batchmean")            autodiff ops + xlogx below
//
// Cross-entropy by a stable log-softmax (lesson 01, exercise nn.loss.cross_entropy). For one row z
// of C logits with maximum m:
//   log softmax(z)_j = z_j - m - log(sum_k exp(z_k - m))
// Subtracting m changes nothing mathematically (it cancels between numerator and denominator) but
// keeps every exp() in (0, 1]: exp(1000) would overflow to inf, exp(1000 - 1000) = 1 does not, and
// the sum is at least 1 (the maximum's own term), so the log never sees 0.
// The gradient of the mean over N rows is as simple as it gets:
//   dL/dz_nj = (softmax(z_n)_j - [j == label_n]) / N
// so the forward pass saves the softmax and the VJP only subtracts the one-hot labels.
#include <cmath>

#include "functional_common.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/math.hpp"
#include "gb/nn/functional.hpp"

namespace gb::nn {

namespace ad = gb::autodiff;

namespace {

// The mean loss of n rows of c logits (row-major) and, in `softmax`, each row's probabilities.
template <class T>
double cross_entropy_rows(const T* logits, const std::int64_t* labels, std::int64_t n, std::int64_t c, T* softmax) {
  // BEGIN EXERCISE(nn.loss.cross_entropy)
  double total = 0.0;
  for (std::int64_t row = 0; row < n; ++row) {
    const T* z = logits + row * c;
    T* s = softmax + row * c;
    T m = z[0];
    for (std::int64_t j = 1; j < c; ++j) m = z[j] > m ? z[j] : m;
    double sum = 0.0;  // sum_j exp(z_j - m) >= 1
    for (std::int64_t j = 0; j < c; ++j) sum += std::exp(static_cast<double>(z[j] - m));
    const double log_sum = std::log(sum);
    for (std::int64_t j = 0; j < c; ++j) s[j] = static_cast<T>(std::exp(static_cast<double>(z[j] - m) - log_sum));
    total += -(static_cast<double>(z[labels[row]] - m) - log_sum);  // -log softmax(z)[label]
  }
  return total / static_cast<double>(n);
  // END EXERCISE
}

// dlogits = g * (softmax - one_hot(labels)) / n, g the adjoint of the (scalar) loss.
template <class T>
void cross_entropy_gradient(const T* softmax, const std::int64_t* labels, std::int64_t n, std::int64_t c, double g,
                            T* dlogits) {
  // BEGIN EXERCISE(nn.loss.cross_entropy)
  const double scale = g / static_cast<double>(n);
  for (std::int64_t row = 0; row < n; ++row) {
    for (std::int64_t j = 0; j < c; ++j) {
      const double one_hot = j == labels[row] ? 1.0 : 0.0;
      dlogits[row * c + j] = static_cast<T>(scale * (static_cast<double>(softmax[row * c + j]) - one_hot));
    }
  }
  // END EXERCISE
}

// One-hot rows of the labels, in the logits' dtype (the create_graph path below).
Tensor one_hot(const Tensor& labels, std::int64_t classes, DType dtype) {
  Tensor out = Tensor::zeros({labels.size(0), classes}, dtype);
  for (std::int64_t row = 0; row < labels.size(0); ++row) out.set({row, labels.data<std::int64_t>()[row]}, 1.0);
  return out;
}

std::vector<Variable> cross_entropy_vjp(const ad::VjpContext& ctx) {
  const Tensor& softmax = ctx.node.saved[0];
  const Tensor& labels = ctx.node.saved[1];
  const std::int64_t n = softmax.size(0), c = softmax.size(1);
  if (ad::grad_enabled()) {  // create_graph: the same formula with differentiable ops (Hessians work)
    const Variable& z = ctx.input(0);
    Variable residual = ad::sub(ad::softmax(z, 1), ad::constant(one_hot(labels, c, z.dtype())));
    return {ad::mul(ad::div(ctx.adjoint, ad::scalar_like(z, static_cast<double>(n))), residual)};
  }
  Tensor dlogits = Tensor::empty({n, c}, softmax.dtype());
  const double g = ctx.adjoint.value().item();
  if (softmax.dtype() == DType::f32) {
    cross_entropy_gradient(softmax.data<float>(), labels.data<std::int64_t>(), n, c, g, dlogits.data<float>());
  } else {
    cross_entropy_gradient(softmax.data<double>(), labels.data<std::int64_t>(), n, c, g, dlogits.data<double>());
  }
  return {ad::constant(dlogits)};
}

// p log p with 0 log 0 = 0 (its limit), elementwise: the entropy term of kl_div (torch.xlogy(p, p)).
// d/dp = log p + 1; at p = 0 (where p log p has a vertical tangent) the adjoint is taken as 0.
// The VJP is written with autodiff ops (log of p with its zeros replaced by 1, times a 0/1 mask), so
// it is differentiable again: d2/dp2 = 1 / p where p > 0.
Variable xlogx(const Variable& p) {
  const Tensor& pv = p.value();
  Tensor value = map_floating(pv, "kl_div", [](double v) { return v == 0.0 ? 0.0 : v * std::log(v); });
  return ad::record_op("xlogx", value, {p}, {}, [](const ad::VjpContext& ctx) {
    const Variable& p = ctx.input(0);
    const Tensor zero = map_floating(p.value(), "kl_div", [](double v) { return v == 0.0 ? 1.0 : 0.0; });
    const Tensor nonzero = map_floating(p.value(), "kl_div", [](double v) { return v == 0.0 ? 0.0 : 1.0; });
    Variable slope = ad::add(ad::log(ad::add(p, ad::constant(zero))), ad::scalar_like(p, 1.0));  // log p + 1
    return std::vector<Variable>{ad::mul(ctx.adjoint, ad::mul(slope, ad::constant(nonzero)))};
  });
}

// prediction and target: defined, floating, the same dtype and shape.
void check_pair(const Variable& a, const Variable& b, const std::string& op, const std::string& a_name,
                const std::string& b_name) {
  const Tensor& av = detail::floating_value_of(a, op, a_name);
  const Tensor& bv = detail::floating_value_of(b, op, b_name);
  const std::string names = a_name + " and " + b_name;
  detail::require_same_dtype(av, bv, op, names);
  if (av.shape() != bv.shape()) {
    throw Error(op, names + " of the same shape", shape_str(av.shape()) + " and " + shape_str(bv.shape()));
  }
  if (av.numel() == 0) throw Error(op, "non-empty " + names, "shape " + shape_str(av.shape()));
}

}  // namespace

Variable mse_loss(const Variable& prediction, const Variable& target) {
  check_pair(prediction, target, "mse_loss", "prediction", "target");
  Variable error = ad::sub(prediction, target);
  return ad::mean(ad::mul(error, error));
}

Variable cross_entropy(const Variable& logits, const Tensor& labels) {
  const Tensor& z = detail::floating_value_of(logits, "cross_entropy", "logits");
  if (z.ndim() != 2 || z.size(0) == 0 || z.size(1) == 0) {
    throw Error("cross_entropy", "logits of shape [N, C] with N, C >= 1", shape_str(z.shape()));
  }
  const std::int64_t n = z.size(0), c = z.size(1);
  if (!labels.defined() || labels.dtype() != DType::i64 || labels.shape() != Shape{n}) {
    throw Error("cross_entropy", "labels of dtype i64 and shape [" + std::to_string(n) + "] (one class per row)",
                labels.defined() ? std::string(dtype_name(labels.dtype())) + " " + shape_str(labels.shape())
                                 : std::string("an undefined tensor"));
  }
  const Tensor zc = z.contiguous(), lc = labels.contiguous().clone();  // our own copy: saved for the VJP
  const std::int64_t* label = lc.data<std::int64_t>();
  for (std::int64_t row = 0; row < n; ++row) {
    if (label[row] < 0 || label[row] >= c) {
      throw Error("cross_entropy", "labels in [0, " + std::to_string(c) + ") (the number of classes)",
                  std::to_string(label[row]) + " at row " + std::to_string(row));
    }
  }
  Tensor softmax = Tensor::empty({n, c}, z.dtype());
  const double loss = z.dtype() == DType::f32
                          ? cross_entropy_rows(zc.data<float>(), label, n, c, softmax.data<float>())
                          : cross_entropy_rows(zc.data<double>(), label, n, c, softmax.data<double>());
  return ad::record_op("cross_entropy", Tensor::scalar(loss, z.dtype()), {logits}, {softmax, lc}, cross_entropy_vjp);
}

Variable kl_div(const Variable& log_q, const Variable& p) {
  check_pair(log_q, p, "kl_div", "log_q", "p");
  if (log_q.ndim() < 1) throw Error("kl_div", "log_q and p with a batch axis [N, ...]", "scalars (shape [])");
  const double n = static_cast<double>(log_q.shape()[0]);
  Variable pointwise = ad::sub(xlogx(p), ad::mul(p, log_q));  // p log p - p log_q, as torch computes it
  return ad::div(ad::sum(pointwise), ad::scalar_like(log_q, n));
}

}  // namespace gb::nn
