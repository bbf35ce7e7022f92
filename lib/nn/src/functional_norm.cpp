// functional_norm.cpp: batch normalisation (Ioffe & Szegedy 2015) with PyTorch's semantics, and its VJP.
//
// Per channel c, over the m = N * H * W values x_i of that channel in the batch:
//   training:  mu = mean(x_i),  var = mean((x_i - mu)^2)   (biased: the batch's own spread)
//              x_hat_i = (x_i - mu) / sqrt(var + eps),  y_i = gamma x_hat_i + beta
//              running_mean = (1 - momentum) running_mean + momentum mu
//              running_var  = (1 - momentum) running_var  + momentum var * m / (m - 1)   (unbiased)
//   eval:      the same y with mu, var replaced by running_mean, running_var (nothing updated).
// The VJP, with g_i = dL/dy_i and invstd = 1 / sqrt(var + eps):
//   dbeta = sum g_i,   dgamma = sum g_i x_hat_i
//   eval:     dx_i = g_i gamma invstd                               (mu and var are constants)
//   training: dx_i = gamma invstd / m * (m g_i - dbeta - x_hat_i dgamma)
// The training formula is longer because mu and var depend on every x_i: moving one x_i moves the
// mean and the variance of its whole channel (the two subtracted terms are those paths).
// The VJP computes with plain tensors: first order only (gb::Error under create_graph).
#include <cmath>

#include "functional_common.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/nn/functional.hpp"

namespace gb::nn {

namespace ad = gb::autodiff;

namespace {

// x viewed as [N, C, S]: S = the product of the axes after C (1 for [N, C]).
struct Layout {
  std::int64_t n = 0, c = 0, s = 0;
  std::int64_t per_channel() const { return n * s; }  // m, the values one channel's statistics see
};

Layout layout_of(const Tensor& x) {
  Layout l;
  l.n = x.size(0);
  l.c = x.size(1);
  l.s = x.numel() / (l.n * l.c);
  return l;
}

// A per-channel vector argument: undefined, or defined with shape [C] and x's dtype.
void check_channel_vector(const Tensor& t, const Tensor& x, const std::string& what) {
  if (!t.defined()) return;
  if (t.shape() != Shape{x.size(1)} || t.dtype() != x.dtype()) {
    throw Error("batch_norm", what + " of shape [" + std::to_string(x.size(1)) + "] and dtype " + dtype_name(x.dtype()),
                std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape()));
  }
}

// Reads per-channel values as doubles (the statistics are accumulated in double).
std::vector<double> channel_values(const Tensor& t, std::int64_t c, double fallback) {
  if (!t.defined()) return std::vector<double>(static_cast<std::size_t>(c), fallback);
  return t.to_vector();
}

// y = x_hat gamma + beta = x a + b per channel, with a = gamma invstd and b = beta - mean a (one
// multiply-add per element; PyTorch's CPU kernel folds the constants the same way).
template <class T>
void normalise(const T* x, const Layout& l, const std::vector<double>& mean, const std::vector<double>& invstd,
               const std::vector<double>& gamma, const std::vector<double>& beta, T* y) {
  for (std::int64_t img = 0; img < l.n; ++img) {
    for (std::int64_t ch = 0; ch < l.c; ++ch) {
      const std::int64_t base = (img * l.c + ch) * l.s;
      const auto k = static_cast<std::size_t>(ch);
      const T a = static_cast<T>(gamma[k] * invstd[k]), b = static_cast<T>(beta[k] - mean[k] * gamma[k] * invstd[k]);
      for (std::int64_t i = base; i < base + l.s; ++i) y[i] = x[i] * a + b;
    }
  }
}

// Per-channel mean and biased variance of x [N, C, S] (two passes: the mean, then the squared
// deviations from it, which is more accurate than mean(x^2) - mean(x)^2).
template <class T>
void batch_statistics(const T* x, const Layout& l, std::vector<double>& mean, std::vector<double>& var) {
  const double m = static_cast<double>(l.per_channel());
  for (std::int64_t ch = 0; ch < l.c; ++ch) {
    double sum = 0.0;
    for (std::int64_t img = 0; img < l.n; ++img) {
      const T* plane = x + (img * l.c + ch) * l.s;
      sum += detail::sum_of(l.s, [&](std::int64_t i) { return static_cast<double>(plane[i]); });
    }
    const double mu = sum / m;
    double squares = 0.0;
    for (std::int64_t img = 0; img < l.n; ++img) {
      const T* plane = x + (img * l.c + ch) * l.s;
      squares += detail::sum_of(l.s, [&](std::int64_t i) {
        const double d = static_cast<double>(plane[i]) - mu;
        return d * d;
      });
    }
    mean[static_cast<std::size_t>(ch)] = mu;
    var[static_cast<std::size_t>(ch)] = squares / m;
  }
}

// running = (1 - momentum) running + momentum stat, in place (the tensor is the module's buffer).
void update_running(Tensor& running, const std::vector<double>& stat, double momentum) {
  const std::vector<double> old = running.to_vector();
  for (std::size_t k = 0; k < old.size(); ++k) {
    running.set({static_cast<std::int64_t>(k)}, (1.0 - momentum) * old[k] + momentum * stat[k]);
  }
}

// The VJP on raw memory, from the saved x, mean and invstd (x_hat = (x - mean) invstd is recomputed,
// not stored: x is kept alive by the graph anyway). `training` picks the dx formula.
template <class T>
void batch_norm_backward(const T* g, const T* x, const Layout& l, const std::vector<double>& mean,
                         const std::vector<double>& invstd, const std::vector<double>& gamma, bool training, T* dx,
                         double* dgamma, double* dbeta) {
  const double m = static_cast<double>(l.per_channel());
  for (std::int64_t ch = 0; ch < l.c; ++ch) {
    const auto k = static_cast<std::size_t>(ch);
    double sum_g = 0.0, sum_g_x = 0.0;
    for (std::int64_t img = 0; img < l.n; ++img) {
      const T* g_plane = g + (img * l.c + ch) * l.s;
      const T* x_plane = x + (img * l.c + ch) * l.s;
      sum_g += detail::sum_of(l.s, [&](std::int64_t i) { return static_cast<double>(g_plane[i]); });
      sum_g_x += detail::sum_of(l.s, [&](std::int64_t i) { return static_cast<double>(g_plane[i]) * static_cast<double>(x_plane[i]); });
    }
    const double sum_g_xhat = (sum_g_x - mean[k] * sum_g) * invstd[k];  // sum g (x - mean) invstd
    dbeta[k] = sum_g;
    dgamma[k] = sum_g_xhat;
    if (dx == nullptr) continue;
    // dx = scale g - scale sum_g / m - scale sum_g_xhat / m * x_hat, x_hat = (x - mean) invstd:
    // dx = a g + c x + b per channel.
    const double scale = gamma[k] * invstd[k];
    const double slope = training ? scale * sum_g_xhat / m * invstd[k] : 0.0;
    const T a = static_cast<T>(scale), c = static_cast<T>(-slope),
            b = static_cast<T>(training ? -scale * sum_g / m + slope * mean[k] : 0.0);
    for (std::int64_t img = 0; img < l.n; ++img) {
      const std::int64_t base = (img * l.c + ch) * l.s;
      for (std::int64_t i = base; i < base + l.s; ++i) dx[i] = a * g[i] + c * x[i] + b;
    }
  }
}

Tensor from_doubles(const std::vector<double>& values, DType dtype) {
  return Tensor::from_values(values, {static_cast<std::int64_t>(values.size())}, dtype);
}

}  // namespace

Variable batch_norm(const Variable& x, Tensor& running_mean, Tensor& running_var, const Variable& gamma,
                    const Variable& beta, bool training, double momentum, double eps) {
  const Tensor& xv = detail::floating_value_of(x, "batch_norm", "x");
  if (xv.ndim() < 2 || xv.numel() == 0) {
    throw Error("batch_norm", "a non-empty x of shape [N, C] or [N, C, H, W] (channels on axis 1)", shape_str(xv.shape()));
  }
  check_channel_vector(running_mean, xv, "running_mean");
  check_channel_vector(running_var, xv, "running_var");
  if (gamma.defined()) check_channel_vector(gamma.value(), xv, "weight (gamma)");
  if (beta.defined()) check_channel_vector(beta.value(), xv, "bias (beta)");
  if (!(eps > 0.0)) throw Error("batch_norm", "eps > 0", std::to_string(eps));
  if (!(momentum >= 0.0 && momentum <= 1.0)) throw Error("batch_norm", "momentum in [0, 1]", std::to_string(momentum));
  const Layout l = layout_of(xv);
  const auto channels = static_cast<std::size_t>(l.c);
  const Tensor xc = xv.contiguous();
  std::vector<double> mean(channels), var(channels);
  if (training) {
    if (l.per_channel() < 2) {
      throw Error("batch_norm", "more than 1 value per channel in training (a variance needs two)",
                  "x of shape " + shape_str(xv.shape()));
    }
    if (xv.dtype() == DType::f32) batch_statistics(xc.data<float>(), l, mean, var);
    else batch_statistics(xc.data<double>(), l, mean, var);
    const double m = static_cast<double>(l.per_channel());
    std::vector<double> unbiased(var);
    for (double& v : unbiased) v *= m / (m - 1.0);
    if (running_mean.defined()) update_running(running_mean, mean, momentum);
    if (running_var.defined()) update_running(running_var, unbiased, momentum);
  } else {
    if (!running_mean.defined() || !running_var.defined()) {
      throw Error("batch_norm", "running_mean and running_var in eval mode (they replace the batch statistics)",
                  "an undefined running statistic");
    }
    mean = running_mean.to_vector();
    var = running_var.to_vector();
  }
  std::vector<double> invstd(channels);
  for (std::size_t k = 0; k < channels; ++k) invstd[k] = 1.0 / std::sqrt(var[k] + eps);
  const std::vector<double> scale = channel_values(gamma.defined() ? gamma.value() : Tensor(), l.c, 1.0);
  const std::vector<double> shift = channel_values(beta.defined() ? beta.value() : Tensor(), l.c, 0.0);

  Tensor y = Tensor::empty(xv.shape(), xv.dtype());
  if (xv.dtype() == DType::f32) normalise(xc.data<float>(), l, mean, invstd, scale, shift, y.data<float>());
  else normalise(xc.data<double>(), l, mean, invstd, scale, shift, y.data<double>());

  std::vector<Variable> inputs = {x, gamma.defined() ? gamma : ad::constant(Tensor::ones({l.c}, xv.dtype())),
                                  beta.defined() ? beta : ad::constant(Tensor::zeros({l.c}, xv.dtype()))};
  std::vector<Tensor> saved = {xc, from_doubles(mean, DType::f64), from_doubles(invstd, DType::f64),
                               from_doubles(scale, DType::f64)};
  return ad::record_op("batch_norm", y, inputs, saved, [training](const ad::VjpContext& ctx) {
    detail::require_first_order("batch_norm");
    const Tensor& x = ctx.node.saved[0];
    const std::vector<double> mean = ctx.node.saved[1].to_vector(), invstd = ctx.node.saved[2].to_vector(),
                              gamma = ctx.node.saved[3].to_vector();
    const Layout l = layout_of(x);
    const Tensor g = ctx.adjoint.value().contiguous();
    const auto channels = static_cast<std::size_t>(l.c);
    std::vector<double> dgamma(channels), dbeta(channels);
    Tensor dx = ctx.needs_grad(0) ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
    if (x.dtype() == DType::f32) {
      batch_norm_backward(g.data<float>(), x.data<float>(), l, mean, invstd, gamma, training,
                          dx.defined() ? dx.data<float>() : nullptr, dgamma.data(), dbeta.data());
    } else {
      batch_norm_backward(g.data<double>(), x.data<double>(), l, mean, invstd, gamma, training,
                          dx.defined() ? dx.data<double>() : nullptr, dgamma.data(), dbeta.data());
    }
    return std::vector<Variable>{dx.defined() ? ad::constant(dx) : Variable(),
                                 ctx.needs_grad(1) ? ad::constant(from_doubles(dgamma, x.dtype())) : Variable(),
                                 ctx.needs_grad(2) ? ad::constant(from_doubles(dbeta, x.dtype())) : Variable()};
  });
}

}  // namespace gb::nn
