// functional.hpp: the differentiable layer functions that lib/autodiff does not have, each with its
// own VJP rule (like torch.nn.functional). The layer classes (layers.hpp) hold parameters and call these.
//
// All take and return autodiff Variables of dtype f32 (the kernels library's dtype); images are NCHW.
// linear, batch_norm, dropout and the losses also take f64. Each throws gb::Error(op, expected, given)
// for wrong ranks, shapes, dtypes or parameters.
//
// Second derivatives: linear and the losses are differentiable twice (under create_graph their VJPs
// are recorded with autodiff ops). conv2d, the poolings and batch_norm compute their VJPs on plain
// tensors (first order only): a backward through them with create_graph throws gb::Error naming the
// op, rather than silently giving a zero second derivative.
#pragma once

#include <cstdint>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/rng.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/pool.hpp"

namespace gb::nn {

using autodiff::Variable;

// y = x W^T + b: x [N, in] (or [..., in]), w [out, in], b [out] or undefined. For f32 [N, in] one
// GEMM each way (gb::kernels, Variant::best); otherwise the autodiff ops matmul, transpose and add.
Variable linear(const Variable& x, const Variable& w, const Variable& b);

// 2-D convolution through gb::kernels::conv2d (forward); the VJPs are convolutions too:
//   dx = the transposed convolution of dy with w (col2im of W^T dY), dw = dY im2col(x)^T, db = sum dY.
// w [OC, IC/groups, KH, KW], b [OC] or undefined.
Variable conv2d(const Variable& x, const Variable& w, const Variable& b, const kernels::Conv2dParams& p);

// Pooling with PyTorch's rules (gb::kernels::Pool2dParams). Max pooling routes the adjoint to the
// first maximum of each window (PyTorch's choice; a NaN wins); average pooling spreads it over the
// window, divided like the forward pass (count_include_pad).
Variable max_pool2d(const Variable& x, const kernels::Pool2dParams& p);
Variable avg_pool2d(const Variable& x, const kernels::Pool2dParams& p);

// Batch normalisation over axis 1 of x [N, C] or [N, C, H, W]:
//   training: y = (x - mean_B) / sqrt(var_B + eps) * gamma + beta with the batch's biased variance,
//             and running = (1 - momentum) running + momentum * stat (the running variance unbiased);
//   eval:     the running statistics instead.
// running_mean / running_var are updated in place (training only); they may be undefined in training
// (no tracking) but not in eval. gamma / beta may be undefined (1 and 0). Training needs more than
// one value per channel (N * H * W > 1), as in PyTorch.
Variable batch_norm(const Variable& x, Tensor& running_mean, Tensor& running_var, const Variable& gamma,
                    const Variable& beta, bool training, double momentum = 0.1, double eps = 1e-5);

// Inverted dropout: in training, each element is zeroed with probability p and the rest scaled by
// 1 / (1 - p), the mask drawn from `rng` (seeded, so runs repeat; one uniform per element in row-major
// order); in eval (or p = 0), x itself. p must be in [0, 1]; p = 1 gives zeros.
Variable dropout(const Variable& x, double p, bool training, Rng& rng);

// [N, d1, d2, ...] -> [N, d1 * d2 * ...] (a view when x is contiguous); x needs at least 2 axes.
Variable flatten(const Variable& x);

// --- losses: mean over the batch (reduction "mean", PyTorch's default) --------------------------------
Variable mse_loss(const Variable& prediction, const Variable& target);
// logits [N, C], labels i64 [N] with values in [0, C): mean of -log_softmax(logits)[n, labels[n]],
// by a stable log-softmax (the row maximum subtracted first). Exercise nn.loss.cross_entropy.
Variable cross_entropy(const Variable& logits, const Tensor& labels);
// torch.nn.functional.kl_div(log_q, p, reduction="batchmean"): sum p (log p - log_q) / N, with
// 0 log 0 = 0; log_q are the student's log-probabilities, p the teacher's probabilities [N, C].
// The adjoint of p where p = 0 takes d(p log p)/dp as 0 there (PyTorch gives NaN).
Variable kl_div(const Variable& log_q, const Variable& p);

// The fraction of rows whose argmax (the first maximum) equals the label (not differentiable);
// logits [N, C] f32/f64, labels i64 [N] in [0, C).
double accuracy(const Tensor& logits, const Tensor& labels);

}  // namespace gb::nn
