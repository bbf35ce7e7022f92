// tensor_parallel_vocab.hpp: the vocabulary split over the TP group (lesson 13; Shoeybi et al. 2019,
// section 3, "input embedding" and the fused cross-entropy).
//
// The vocabulary V is the largest dimension of a language model, so its two V-sized matrices are split
// by vocabulary range: rank r holds the ids [r V/t, (r+1) V/t).
//   embedding      table [V, h] split by rows. Each rank looks up the ids in its range and writes zeros
//                  for the others; an all-reduce (g) sums the t partial lookups, exactly one of which is
//                  non-zero per token. Backward: each rank adds dE's rows into its own table rows.
//   cross-entropy  the output layer [h, V] split by columns (column-parallel after f), so rank r holds
//                  the logits z_r [N, V/t] of its range. loss_i = log sum_j exp(z_ij) - z_i,label needs
//                  whole rows, but only three numbers per row travel:
//                    m_i  = max over ranks of the local row maxima       (all-reduce MAX)
//                    S_i  = sum over ranks of sum_j exp(z_ij - m_i)      (all-reduce SUM)
//                    z_iy = the label's logit, held by one rank, zeros elsewhere  (all-reduce SUM)
//                  loss_i = log S_i + m_i - z_iy; its gradient (softmax - one_hot) / N is local to each
//                  rank's columns. Gathering the logits instead would move (t-1)/t x N V values per rank.
#pragma once

#include <cstdint>
#include <vector>

#include "gb/parallel/tensor_parallel_layers.hpp"

namespace gb::parallel {

class TpVocabEmbedding {
 public:
  // table [V, h]; throws gb::Error when t does not divide V.
  TpVocabEmbedding(const Tensor& table, int t);
  // ids: i64 [N] in [0, V) (gb::Error otherwise). Adds the lookup and g's all-reduce; returns X [N, h].
  TpActivation forward(TpGroup& group, const Tensor& ids);
  void backward(TpGroup& group, const TpActivation& dx);  // no communication: dX is on every rank
  std::vector<Variable> parameters(int rank) const { return {shards_.at(static_cast<std::size_t>(rank))}; }
  Tensor weights() const;
  Tensor gradients() const;

 private:
  std::vector<Variable> shards_, partial_;
  std::int64_t vocab_, hidden_;
};

// The column-parallel output layer (logits = X W, W [h, V]) fused with the vocabulary-parallel
// cross-entropy (mean over the N rows).
class TpVocabParallelLoss {
 public:
  TpVocabParallelLoss(const Tensor& head, int t);  // throws gb::Error when t does not divide V
  // x [N, h] (every rank), labels i64 [N]; adds the forward's tasks. loss() holds the mean once run.
  void forward(TpGroup& group, const TpActivation& x, const Tensor& labels);
  // Adds the backward's tasks (the loss's gradient is 1): returns dX, all-reduced by f.
  TpActivation backward(TpGroup& group);
  double loss() const { return loss_; }
  std::vector<Variable> parameters(int rank) const { return {shards_.at(static_cast<std::size_t>(rank))}; }
  Tensor weights() const;
  Tensor gradients() const;

 private:
  struct RankState {
    Variable input, logits;
    Tensor max, sum_exp, label_logit;  // [N] each: the three all-reduced vectors
  };
  std::vector<Variable> shards_;
  std::vector<RankState> state_;
  Tensor labels_;
  Shape input_shape_;
  std::int64_t vocab_;
  double loss_ = 0;
};

}  // namespace gb::parallel
