// fold.cpp: BatchNorm folded into the convolution (fold.hpp).
#include "gb/quant/fold.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb::quant {

namespace ad = gb::autodiff;

namespace {

std::vector<double> channel_values(const Tensor& t, std::int64_t channels, const std::string& what) {
  const std::string op = "fold_batch_norm";
  if (!t.defined()) throw Error(op, "a defined " + what, "an undefined tensor");
  if (t.ndim() != 1 || t.size(0) != channels)
    throw Error(op, what + " of shape [" + std::to_string(channels) + "]", shape_str(t.shape()));
  std::vector<double> v = t.to_vector();
  for (double x : v)
    if (!std::isfinite(x)) throw Error(op, "finite values in " + what, std::to_string(x));
  return v;
}

Tensor buffer_of(const nn::BatchNorm& bn, const std::string& name) {
  for (const auto& [key, t] : bn.named_buffers())
    if (key == name) return t;
  throw Error("fold_batch_norm", "a BatchNorm with the buffer " + name, "none");
}

// gamma / sqrt(var + eps) per channel: how much BatchNorm stretches channel c.
std::vector<double> stretch(const std::vector<double>& gamma, const std::vector<double>& var, double eps) {
  std::vector<double> s(gamma.size());
  for (std::size_t c = 0; c < s.size(); ++c) {
    if (!(var[c] + eps > 0))
      throw Error("fold_batch_norm", "var + eps > 0 in every channel", "channel " + std::to_string(c) + ": " +
                                                                              std::to_string(var[c] + eps));
    s[c] = gamma[c] / std::sqrt(var[c] + eps);
  }
  return s;
}

}  // namespace

Tensor running_mean(const nn::BatchNorm& bn) { return buffer_of(bn, "running_mean"); }
Tensor running_var(const nn::BatchNorm& bn) { return buffer_of(bn, "running_var"); }

FoldedConv fold_batch_norm(const Tensor& w, const Tensor& bias, const Tensor& gamma, const Tensor& beta,
                           const Tensor& mean, const Tensor& var, double eps) {
  const std::string op = "fold_batch_norm";
  if (!w.defined() || w.ndim() < 2 || w.numel() == 0)
    throw Error(op, "a non-empty weight [OC, ...]", w.defined() ? shape_str(w.shape()) : "an undefined tensor");
  if (!std::isfinite(eps) || eps < 0) throw Error(op, "eps >= 0", std::to_string(eps));
  const std::int64_t oc = w.size(0), per_channel = w.numel() / oc;
  const std::vector<double> g = channel_values(gamma, oc, "gamma"), be = channel_values(beta, oc, "beta");
  const std::vector<double> mu = channel_values(mean, oc, "running_mean"), v = channel_values(var, oc, "running_var");
  const std::vector<double> b = bias.defined() ? channel_values(bias, oc, "bias") : std::vector<double>(static_cast<std::size_t>(oc));
  const std::vector<double> s = stretch(g, v, eps);
  const std::vector<double> wv = w.contiguous().to_vector();
  std::vector<double> folded(wv.size()), folded_bias(static_cast<std::size_t>(oc));
  for (std::int64_t c = 0; c < oc; ++c) {
    const auto cc = static_cast<std::size_t>(c);
    for (std::int64_t k = 0; k < per_channel; ++k) {
      const auto i = static_cast<std::size_t>(c * per_channel + k);
      folded[i] = wv[i] * s[cc];                      // W'_c = W_c * gamma_c / sqrt(var_c + eps)
    }
    folded_bias[cc] = (b[cc] - mu[cc]) * s[cc] + be[cc];  // b'_c = gamma_c (b_c - mu_c) / sqrt(var_c + eps) + beta_c
  }
  return {Tensor::from_values(folded, w.shape(), DType::f32), Tensor::from_values(folded_bias, {oc}, DType::f32)};
}

FoldedConv fold_batch_norm(const nn::Conv2d& conv, const nn::BatchNorm& bn) {
  if (bn.num_features != conv.out_channels)
    throw Error("fold_batch_norm", "a BatchNorm of " + std::to_string(conv.out_channels) + " channels (the conv's outputs)",
                std::to_string(bn.num_features));
  return fold_batch_norm(conv.weight.value(), conv.bias.defined() ? conv.bias.value() : Tensor(), bn.weight.value(),
                         bn.bias.value(), running_mean(bn), running_var(bn), bn.eps);
}

FoldedVariables fold_batch_norm_variables(const nn::Conv2d& conv, const nn::BatchNorm& bn) {
  if (bn.num_features != conv.out_channels)
    throw Error("fold_batch_norm", "a BatchNorm of " + std::to_string(conv.out_channels) + " channels (the conv's outputs)",
                std::to_string(bn.num_features));
  const std::int64_t oc = conv.out_channels;
  // 1 / sqrt(var + eps) is a constant (the frozen running variance); gamma is learned.
  std::vector<double> inv_std = running_var(bn).to_vector();
  for (double& v : inv_std) {
    if (!(v + bn.eps > 0)) throw Error("fold_batch_norm", "var + eps > 0 in every channel", std::to_string(v + bn.eps));
    v = 1.0 / std::sqrt(v + bn.eps);
  }
  const Variable s = ad::mul(bn.weight, ad::constant(Tensor::from_values(inv_std, {oc}, DType::f32)));
  Shape per_filter(conv.weight.ndim(), 1);
  per_filter[0] = oc;
  FoldedVariables f;
  f.weight = ad::mul(conv.weight, ad::reshape(s, per_filter));
  const Variable centred = conv.bias.defined() ? ad::sub(conv.bias, ad::constant(running_mean(bn)))
                                               : ad::neg(ad::constant(running_mean(bn)));
  f.bias = ad::add(ad::mul(centred, s), bn.bias);
  return f;
}

}  // namespace gb::quant
