// tensor_parallel_vocab.cpp: the vocabulary-parallel embedding and cross-entropy (lesson 13; see
// tensor_parallel_vocab.hpp).
#include "gb/parallel/tensor_parallel_vocab.hpp"

#include <cmath>
#include <string>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "tensor_parallel_internal.hpp"

namespace gb::parallel {

namespace {

// ids i64 [N], every one in [0, vocab).
void check_ids(const Tensor& ids, std::int64_t vocab, const std::string& op) {
  if (!ids.defined() || ids.dtype() != DType::i64 || ids.ndim() != 1) throw Error(op, "i64 ids [N]", ids.defined() ? shape_str(ids.shape()) : "undefined");
  for (double id : ids.to_vector()) {
    if (id < 0 || id >= static_cast<double>(vocab)) throw Error(op, "ids in [0, " + std::to_string(vocab) + ")", std::to_string(static_cast<std::int64_t>(id)));
  }
}

std::vector<Tensor> values(const std::vector<Variable>& shards, bool grad) {
  std::vector<Tensor> out;
  for (const Variable& s : shards) out.push_back(grad ? s.grad().value() : s.value());
  return out;
}

}  // namespace

// ---- the embedding ---------------------------------------------------------------------------------
TpVocabEmbedding::TpVocabEmbedding(const Tensor& table, int t) {
  if (!table.defined() || table.ndim() != 2) throw Error("TpVocabEmbedding", "a table [V, h]", table.defined() ? shape_str(table.shape()) : "undefined");
  vocab_ = table.shape()[0];
  hidden_ = table.shape()[1];
  for (int r = 0; r < t; ++r) shards_.emplace_back(tp_shard(table, TpSplit::row, t, r), true);  // rows = vocabulary ids
}

TpActivation TpVocabEmbedding::forward(TpGroup& group, const Tensor& ids) {
  check_ids(ids, vocab_, "TpVocabEmbedding forward");
  const int t = static_cast<int>(shards_.size());
  if (group.size() != t || !group.values()) throw Error("TpVocabEmbedding forward", "a group of " + std::to_string(t) + " ranks with values", std::to_string(group.size()));
  const std::int64_t n = ids.shape()[0], width = vocab_ / t;
  partial_.assign(static_cast<std::size_t>(t), Variable());
  TpActivation x = group.activation({n, hidden_});
  for (int r = 0; r < t; ++r) {
    group.hold(r, MemoryKind::parameters, width * hidden_ * 4);
    // The lookup as a product with the one-hot rows of this rank's range: ids elsewhere give zeros, and
    // autodiff's backward (one_hot^T dX) adds each token's gradient into its id's row.
    group.compute(r, "embedding lookup", TaskKind::forward, static_cast<double>(n * hidden_), [this, r, ids, width, x]() mutable {
      const Tensor one_hot = tp_detail::one_hot_in_range(ids, r * width, width);
      partial_[static_cast<std::size_t>(r)] = autodiff::matmul(autodiff::constant(one_hot), shards_[static_cast<std::size_t>(r)]);
      x.copies[static_cast<std::size_t>(r)].copy_from(partial_[static_cast<std::size_t>(r)].value());
    });
  }
  // g: exactly one rank looked each token up; the sum gives every rank the embeddings.
  group.all_reduce("g: all-reduce embeddings", TaskKind::forward, x.copies, x.shape);
  return x;
}

void TpVocabEmbedding::backward(TpGroup& group, const TpActivation& dx) {
  for (int r = 0; r < group.size(); ++r) {
    group.compute(r, "embedding backward", TaskKind::backward, static_cast<double>(dx.shape[0] * hidden_), [this, r, dx]() {
      autodiff::backward(partial_[static_cast<std::size_t>(r)], dx.copies[static_cast<std::size_t>(r)]);
      partial_[static_cast<std::size_t>(r)] = Variable();
    });
  }
}

Tensor TpVocabEmbedding::weights() const { return tp_unshard(values(shards_, false), TpSplit::row); }
Tensor TpVocabEmbedding::gradients() const { return tp_unshard(values(shards_, true), TpSplit::row); }

// ---- the output layer and the cross-entropy ---------------------------------------------------------
TpVocabParallelLoss::TpVocabParallelLoss(const Tensor& head, int t) {
  if (!head.defined() || head.ndim() != 2) throw Error("TpVocabParallelLoss", "an output layer [h, V]", head.defined() ? shape_str(head.shape()) : "undefined");
  vocab_ = head.shape()[1];
  for (int r = 0; r < t; ++r) shards_.emplace_back(tp_shard(head, TpSplit::column, t, r), true);  // columns = vocabulary ids
}

void TpVocabParallelLoss::forward(TpGroup& group, const TpActivation& x, const Tensor& labels) {
  check_ids(labels, vocab_, "TpVocabParallelLoss forward");
  const int t = static_cast<int>(shards_.size());
  if (group.size() != t || !group.values()) throw Error("TpVocabParallelLoss forward", "a group of " + std::to_string(t) + " ranks with values", std::to_string(group.size()));
  if (x.shape.size() != 2 || x.shape[0] != labels.shape()[0] || x.shape[1] != shards_.front().shape()[0]) {
    throw Error("TpVocabParallelLoss forward", "x [N, h] with one label per row", shape_str(x.shape));
  }
  const std::int64_t n = x.shape[0], h = x.shape[1], width = vocab_ / t;
  labels_ = labels;
  input_shape_ = x.shape;
  state_.assign(static_cast<std::size_t>(t), RankState{});
  TpActivation max = group.activation({n}), sum_exp = group.activation({n}), label_logit = group.activation({n});
  for (int r = 0; r < t; ++r) {
    group.hold(r, MemoryKind::parameters, h * width * 4);
    // f (identity forward), then this rank's logits z_r = X W_r and their row maxima.
    group.compute(r, "output layer forward", TaskKind::forward, 2.0 * static_cast<double>(n * h * width), [this, r, x, max]() mutable {
      RankState& s = state_[static_cast<std::size_t>(r)];
      s.input = Variable(x.copies[static_cast<std::size_t>(r)].clone(), true);
      s.logits = autodiff::matmul(s.input, shards_[static_cast<std::size_t>(r)]);
      max.copies[static_cast<std::size_t>(r)].copy_from(gb::max(s.logits.value(), {1}));
    });
  }
  group.all_reduce("all-reduce MAX of the row maxima", TaskKind::forward, max.copies, {n}, ReduceOp::max);
  for (int r = 0; r < t; ++r) {
    group.compute(r, "local sum of exp", TaskKind::forward, 3.0 * static_cast<double>(n * width), [this, r, width, max, sum_exp, label_logit]() mutable {
      RankState& s = state_[static_cast<std::size_t>(r)];
      s.max = max.copies[static_cast<std::size_t>(r)].clone();
      const Tensor z = s.logits.value();
      const std::vector<double> label = labels_.to_vector();
      for (std::int64_t i = 0; i < z.shape()[0]; ++i) {
        double total = 0;
        for (std::int64_t j = 0; j < width; ++j) total += std::exp(z.at({i, j}) - s.max.at({i}));
        sum_exp.copies[static_cast<std::size_t>(r)].set({i}, total);
        // Only the rank whose range holds the label writes its logit; the others write 0.
        const auto local = static_cast<std::int64_t>(label[static_cast<std::size_t>(i)]) - r * width;
        label_logit.copies[static_cast<std::size_t>(r)].set({i}, local >= 0 && local < width ? z.at({i, local}) : 0.0);
      }
    });
  }
  group.all_reduce("all-reduce SUM of exp", TaskKind::forward, sum_exp.copies, {n});
  group.all_reduce("all-reduce SUM of the label's logit", TaskKind::forward, label_logit.copies, {n});
  for (int r = 0; r < t; ++r) {
    group.compute(r, "loss", TaskKind::forward, 3.0 * static_cast<double>(n), [this, r, n, sum_exp, label_logit]() {
      RankState& s = state_[static_cast<std::size_t>(r)];
      s.sum_exp = sum_exp.copies[static_cast<std::size_t>(r)].clone();
      s.label_logit = label_logit.copies[static_cast<std::size_t>(r)].clone();
      double loss = 0;  // every rank computes the same mean
      for (std::int64_t i = 0; i < n; ++i) loss += std::log(s.sum_exp.at({i})) + s.max.at({i}) - s.label_logit.at({i});
      if (r == 0) loss_ = loss / static_cast<double>(n);
    });
  }
}

TpActivation TpVocabParallelLoss::backward(TpGroup& group) {
  const int t = static_cast<int>(shards_.size());
  const std::int64_t n = input_shape_.at(0), h = input_shape_.at(1), width = vocab_ / t;
  TpActivation dx = group.activation(input_shape_);
  for (int r = 0; r < t; ++r) {
    // d loss / d z_ij = (softmax_ij - [j == label_i]) / N: the max and the sum are already on every
    // rank, so the backward of the cross-entropy itself needs no communication.
    group.compute(r, "output layer backward", TaskKind::backward, 4.0 * static_cast<double>(n * h * width), [this, r, n, width, dx]() mutable {
      RankState& s = state_[static_cast<std::size_t>(r)];
      const Tensor z = s.logits.value();
      Tensor dz = Tensor::zeros(z.shape());
      const Tensor one_hot = tp_detail::one_hot_in_range(labels_, r * width, width);
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < width; ++j)
          dz.set({i, j}, (std::exp(z.at({i, j}) - s.max.at({i})) / s.sum_exp.at({i}) - one_hot.at({i, j})) / static_cast<double>(n));
      autodiff::backward(s.logits, dz);
      dx.copies[static_cast<std::size_t>(r)].copy_from(s.input.grad().value());
      s = RankState{};
    });
  }
  group.all_reduce("f: all-reduce output layer input gradient", TaskKind::backward, dx.copies, input_shape_);
  return dx;
}

Tensor TpVocabParallelLoss::weights() const { return tp_unshard(values(shards_, false), TpSplit::column); }
Tensor TpVocabParallelLoss::gradients() const { return tp_unshard(values(shards_, true), TpSplit::column); }

}  // namespace gb::parallel
