// rank_training_tp_ops.hpp: Megatron-LM's tensor-parallel communication as autograd operations on ONE
// rank (issue 11; lesson 13's math, tensor_parallel_layers.hpp and tensor_parallel_vocab.hpp, written
// rank-locally). Each op is an autodiff::record_op whose forward or VJP rule calls the communicator,
// so an ordinary autodiff::backward on the rank's graph issues the backward all-reduces itself, as
// torch.autograd does with Megatron-LM's mappings.py:
//   f  copy_to_tensor_model_parallel_region      identity forward, all-reduce (SUM) backward
//   g  reduce_from_tensor_model_parallel_region  all-reduce (SUM) forward, identity backward
// plus the two vocabulary-parallel pieces (Shoeybi et al. 2019, section 3): the embedding lookup of
// this rank's id range followed by g, and the cross-entropy over logits split by vocabulary ranges.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/ops.hpp"
#include "gb/parallel/communicator.hpp"
#include "tensor_parallel_internal.hpp"

namespace gb::parallel::tp_rank {

using autodiff::Variable;
using autodiff::VjpContext;

// The group's sum of `value` on every rank (a contiguous copy: the communicator reduces in place).
inline Tensor summed(Communicator& group, const Tensor& value, ReduceOp op = ReduceOp::sum) {
  Tensor buffer = value.clone();
  group.all_reduce(buffer, op);
  return buffer;
}

// f: every rank already holds all of x, so the forward is the identity; but the rank's graph after f
// sees only its own shards, so the gradient it sends back, dX_r, is only its share of dX = sum_r dX_r.
inline Variable copy_to_region(Communicator& group, const Variable& x) {
  return autodiff::record_op("f: copy to the tensor-parallel region", x.value(), {x}, {},
                             [&group](const VjpContext& c) -> std::vector<Variable> {
                               return {autodiff::constant(summed(group, c.adjoint.value()))};
                             });
}

// g: a row-parallel layer leaves a partial sum on each rank; the all-reduce gives every rank the sum.
// Each rank then needs all of dZ, which it already has: the backward is the identity.
inline Variable reduce_from_region(Communicator& group, const Variable& partial) {
  return autodiff::record_op("g: reduce from the tensor-parallel region", summed(group, partial.value()), {partial}, {},
                             [](const VjpContext& c) -> std::vector<Variable> { return {c.adjoint}; });
}

// The vocabulary-parallel embedding: this rank holds the table rows of ids [first, first + width). The
// lookup is a product with the one-hot rows of that range, zero rows for the other ids, so autodiff's
// backward (one_hot^T dX) adds each token's gradient into its id's row, locally. Exactly one rank looks
// up each token, so g's sum is the embedding on every rank.
inline Variable vocab_parallel_embedding(Communicator& group, const Variable& shard, const Tensor& ids) {
  const std::int64_t width = shard.shape().at(0);
  const Tensor one_hot = tp_detail::one_hot_in_range(ids, group.rank() * width, width).to(shard.dtype());
  return reduce_from_region(group, autodiff::matmul(autodiff::constant(one_hot), shard));
}

// The vocabulary-parallel cross-entropy, mean over the N rows, of this rank's logits z_r [N, V/t]
// (columns first .. first + V/t - 1 of the whole logits). loss_i = log S_i + m_i - z_i,label with
//   m_i  = max over ranks of the local row maxima              (all-reduce MAX)
//   S_i  = sum over ranks of sum_j exp(z_ij - m_i)             (all-reduce SUM)
//   z_iy = the label's logit, from the rank whose range holds it (all-reduce SUM of it and zeros)
// so only 3 N numbers travel instead of the N x V logits. The value is the same on every rank (each
// computes it from the same all-reduced vectors) and kept in double, a scalar f64. The backward,
// d loss / d z_ij = (softmax_ij - [j == label_i]) / N, needs only m and S, already on every rank: local.
inline Variable vocab_parallel_cross_entropy(Communicator& group, const Variable& logits, const Tensor& labels) {
  const Tensor z = logits.value().contiguous();
  const std::int64_t n = z.shape().at(0), width = z.shape().at(1), first = group.rank() * width;
  const std::vector<double> label = labels.to_vector();
  // The three vectors in the logits' dtype, as the global view's activations hold them.
  const Tensor max = summed(group, gb::max(z, {1}), ReduceOp::max);
  Tensor sum_exp = Tensor::zeros({n}, z.dtype()), label_logit = Tensor::zeros({n}, z.dtype());
  for (std::int64_t i = 0; i < n; ++i) {
    double total = 0;
    for (std::int64_t j = 0; j < width; ++j) total += std::exp(z.at({i, j}) - max.at({i}));
    sum_exp.set({i}, total);
    const auto local = static_cast<std::int64_t>(label[static_cast<std::size_t>(i)]) - first;
    label_logit.set({i}, local >= 0 && local < width ? z.at({i, local}) : 0.0);
  }
  sum_exp = summed(group, sum_exp);
  label_logit = summed(group, label_logit);
  double loss = 0;
  for (std::int64_t i = 0; i < n; ++i) loss += std::log(sum_exp.at({i})) + max.at({i}) - label_logit.at({i});
  loss /= static_cast<double>(n);

  const Tensor one_hot = tp_detail::one_hot_in_range(labels, first, width);
  return autodiff::record_op("vocabulary-parallel cross-entropy", Tensor::scalar(loss, DType::f64), {logits}, {z, max, sum_exp, one_hot},
                             [n, width](const VjpContext& c) -> std::vector<Variable> {
                               const std::vector<Tensor>& s = c.node.saved;  // z, max, sum_exp, one_hot
                               const double adjoint = c.adjoint.value().item(), rows = static_cast<double>(n);
                               Tensor dz = Tensor::zeros(s[0].shape(), s[0].dtype());
                               for (std::int64_t i = 0; i < n; ++i)
                                 for (std::int64_t j = 0; j < width; ++j)
                                   dz.set({i, j}, (std::exp(s[0].at({i, j}) - s[1].at({i})) / s[2].at({i}) - s[3].at({i, j})) * adjoint / rows);
                               return {autodiff::constant(dz)};
                             });
}

}  // namespace gb::parallel::tp_rank
