// fold.hpp: BatchNorm folded into the convolution before it (Jacob et al. 2018, section 3.2; lesson 25).
//
// In eval mode BatchNorm is an affine map per output channel c, y = gamma_c (z - mu_c) / sqrt(var_c + eps)
// + beta_c, applied to the convolution's output z = W_c * x + b_c. Both are linear in x, so one
// convolution does both:
//
//   W'_c = W_c * gamma_c / sqrt(var_c + eps)          b'_c = gamma_c (b_c - mu_c) / sqrt(var_c + eps) + beta_c
//
// An integer model then never sees BatchNorm at all (one int8 convolution, one requantization), and
// quantizing W' rather than W is what makes the int8 model match the float one: the grid must be
// chosen for the weights the integer kernel really multiplies by.
//
// QAT here folds with the running statistics (frozen while fine-tuning) and fake-quantizes W'. Jacob's
// scheme runs each convolution twice per training step (once in float to get the batch statistics,
// once with the folded, fake-quantized weights, corrected back to batch statistics until the
// running ones are frozen); that matters when QAT trains from scratch. Fine-tuning a converged model
// for a short schedule, the running statistics are already right, and one pass suffices (PyTorch's
// ConvBn modules also freeze the statistics after a few epochs: freeze_bn_stats).
#pragma once

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/tensor.hpp"
#include "gb/nn/layers.hpp"

namespace gb::quant {

using autodiff::Variable;

struct FoldedConv {
  Tensor weight;  // f32 [OC, IC/groups, KH, KW]
  Tensor bias;    // f32 [OC]
};

// The formulas above on tensors (computed in double, stored as f32). bias may be undefined (0);
// gamma, beta, mean, var are [OC] with OC = w.shape[0]; var + eps must be > 0. gb::Error otherwise.
FoldedConv fold_batch_norm(const Tensor& w, const Tensor& bias, const Tensor& gamma, const Tensor& beta,
                           const Tensor& mean, const Tensor& var, double eps);
// A Conv2d and the BatchNorm2d after it, with the BatchNorm's running statistics and eps.
FoldedConv fold_batch_norm(const nn::Conv2d& conv, const nn::BatchNorm& bn);

// The same fold written with autodiff ops, so that a QAT step's gradient reaches W, b, gamma and beta
// (the running statistics are constants): what QuantStage (ptq.hpp) trains through.
struct FoldedVariables {
  Variable weight, bias;
};
FoldedVariables fold_batch_norm_variables(const nn::Conv2d& conv, const nn::BatchNorm& bn);

// BatchNorm's running mean and variance (its buffers).
Tensor running_mean(const nn::BatchNorm& bn);
Tensor running_var(const nn::BatchNorm& bn);

}  // namespace gb::quant
