// tensor_parallel_attention.cpp: self-attention split by heads (lesson 13; see tensor_parallel_layers.hpp).
//
// Heads are independent: head j reads only its own d columns of Q, K and V, and writes its own d
// columns of the attention output O. So splitting the Q, K, V projections by columns in whole heads puts
// every head's work on one rank, and the output projection O W_o, split by the same rows, is a row-
// parallel layer: sum over ranks of O_r W_o,r, one all-reduce (g).
#include <cmath>
#include <limits>
#include <string>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/tensor_parallel_layers.hpp"
#include "tensor_parallel_internal.hpp"

namespace gb::parallel {

namespace ad = gb::autodiff;

Variable causal_attention(const Variable& q, const Variable& k, const Variable& v, std::int64_t seq, std::int64_t heads) {
  const std::int64_t tokens = q.shape().at(0), width = q.shape().at(1), d = width / heads, batch = tokens / seq;
  if (seq < 1 || heads < 1 || tokens % seq != 0 || width % heads != 0) {
    throw Error("causal_attention", "tokens a multiple of seq and width a multiple of heads",
                shape_str(q.shape()) + " with seq " + std::to_string(seq) + ", heads " + std::to_string(heads));
  }
  // [batch x seq, heads x d] -> [batch, heads, seq, d]
  auto split_heads = [&](const Variable& t) { return ad::permute(ad::reshape(t, {batch, seq, heads, d}), {0, 2, 1, 3}); };
  const Variable qh = split_heads(q), kh = split_heads(k), vh = split_heads(v);
  // Token i attends to tokens 0..i: the later ones get -inf before the softmax.
  Tensor mask = Tensor::zeros({seq, seq});
  for (std::int64_t i = 0; i < seq; ++i)
    for (std::int64_t j = i + 1; j < seq; ++j) mask.set({i, j}, -std::numeric_limits<double>::infinity());
  Variable scores = ad::mul(ad::matmul(qh, ad::transpose(kh)), ad::scalar_like(qh, 1.0 / std::sqrt(static_cast<double>(d))));
  const Variable p = ad::softmax(ad::add(scores, ad::constant(mask)), -1);
  // [batch, heads, seq, d] -> [batch x seq, heads x d]
  return ad::reshape(ad::permute(ad::matmul(p, vh), {0, 2, 1, 3}), {tokens, width});
}

TpAttention::TpAttention(std::int64_t hidden, std::int64_t heads, std::int64_t seq, int t, std::string name)
    : TpBlock(std::move(name), t), hidden_(hidden), heads_(heads), seq_(seq) {
  if (t < 1 || heads < 1 || hidden < 1 || seq < 1 || hidden % heads != 0 || heads % t != 0) {
    throw Error("TpAttention", "heads dividing the hidden size and t dividing the heads",
                "hidden " + std::to_string(hidden) + ", heads " + std::to_string(heads) + ", t = " + std::to_string(t));
  }
  values_ = false;
  const std::int64_t w = hidden / t;  // heads / t heads of hidden / heads columns
  shard_shapes_ = {{hidden, w}, {w}, {hidden, w}, {w}, {hidden, w}, {w}, {w, hidden}, {hidden}};
}

TpAttention::TpAttention(const AttentionWeights& w, std::int64_t heads, std::int64_t seq, int t, std::string name)
    : TpAttention(w.q.defined() && w.q.ndim() == 2 ? w.q.shape()[0] : 0, heads, seq, t, std::move(name)) {
  const Shape square{hidden_, hidden_}, row{hidden_};
  for (const Tensor* m : {&w.q, &w.k, &w.v, &w.o})
    if (!m->defined() || m->shape() != square) throw Error("TpAttention", "q, k, v, o [h, h]", m->defined() ? shape_str(m->shape()) : "undefined");
  for (const Tensor* b : {&w.q_bias, &w.k_bias, &w.v_bias, &w.o_bias})
    if (!b->defined() || b->shape() != row) throw Error("TpAttention", "biases [h]", b->defined() ? shape_str(b->shape()) : "undefined");
  values_ = true;
  for (int r = 0; r < t; ++r) {
    // Columns of Q, K, V in whole heads; the same heads' rows of the output projection.
    shards_.push_back({Variable(tp_shard(w.q, TpSplit::column, t, r), true), Variable(tp_shard_bias(w.q_bias, t, r), true),
                       Variable(tp_shard(w.k, TpSplit::column, t, r), true), Variable(tp_shard_bias(w.k_bias, t, r), true),
                       Variable(tp_shard(w.v, TpSplit::column, t, r), true), Variable(tp_shard_bias(w.v_bias, t, r), true),
                       Variable(tp_shard(w.o, TpSplit::row, t, r), true)});
    output_bias_.emplace_back(w.o_bias.clone(), true);
  }
}

Variable TpAttention::local(int rank, const Variable& x) {
  const auto& w = shards_[static_cast<std::size_t>(rank)];
  auto project = [&](std::size_t i) { return ad::add(ad::matmul(x, w[i]), w[i + 1]); };
  const Variable o = causal_attention(project(0), project(2), project(4), seq_, heads_ / ranks());
  return ad::matmul(o, w[6]);  // row-parallel: the partial sum of this rank's heads
}

double TpAttention::local_flops(std::int64_t tokens) const {
  const double n = static_cast<double>(tokens), h = static_cast<double>(hidden_), w = h / ranks(), s = static_cast<double>(seq_);
  // Q, K, V and the output projection: 4 x 2 n h w; the scores Q K^T and P V: 2 x 2 n s w.
  return 8 * n * h * w + 4 * n * s * w;
}

namespace {
AttentionWeights assemble(const std::vector<std::vector<Variable>>& shards, const Variable& o_bias, bool grad) {
  auto col = [&](std::size_t i) { return tp_unshard(tp_detail::gathered(shards, i, grad), TpSplit::column); };
  return {col(0), col(1), col(2), col(3), col(4), col(5), tp_unshard(tp_detail::gathered(shards, 6, grad), TpSplit::row),
          grad ? o_bias.grad().value() : o_bias.value()};
}
}  // namespace

AttentionWeights TpAttention::gradients() const {
  if (!values_) throw Error("TpAttention::gradients", "a block with values", "a timing-only block");
  return assemble(shards_, output_bias_.front(), true);
}

AttentionWeights TpAttention::weights() const {
  if (!values_) throw Error("TpAttention::weights", "a block with values", "a timing-only block");
  return assemble(shards_, output_bias_.front(), false);
}

}  // namespace gb::parallel
