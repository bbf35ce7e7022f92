// tensor_parallel_layers.hpp: Megatron-LM's tensor-parallel layers (lesson 13; Shoeybi et al. 2019,
// section 3) with the real math on every rank and every all-reduce travelling through the simulator.
//
// Every block has the same shape:   x --f--> [rank r: column-parallel ... row-parallel] --g--> + bias
//   f  identity forward (each rank already holds all of x), all-reduce of the input gradient backward
//      (each rank's dX_r is only the part of dX that flowed through its shards);
//   g  all-reduce forward (the row-parallel partial sums), identity backward (each rank needs all of dZ).
// Between f and g a rank runs ordinary lib/autodiff on its own shards: the leaf x_r after f is where its
// graph starts, the partial sum before g where it ends. A real framework blocks inside f's and g's
// autograd functions; the simulator instead splits the step at f and g into tasks, so the all-reduces
// appear on the timeline between the compute spans.
//   MLP        Z = GeLU(X A + a) B + b, A column-split, B row-split: GeLU is applied to a whole column
//              of X A on one rank, so it is local. Had A been split by rows, X A would be a sum of
//              partial products and GeLU(p0 + p1) != GeLU(p0) + GeLU(p1): an all-reduce before GeLU.
//   attention  Q, K, V projections column-split by heads (rank r holds heads r H/t .. (r+1) H/t - 1),
//              each rank's heads attend locally, the output projection row-split by the same heads.
// One all-reduce forward (g) and one backward (f) per block.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/parallel/tensor_parallel.hpp"

namespace gb::parallel {

using autodiff::Variable;

// Full (unsplit) weights, in Megatron's orientation Y = X W with W [in, out].
struct MlpWeights {
  Tensor a, a_bias, b, b_bias;  // a [h, f], a_bias [f], b [f, h], b_bias [h]
};
struct AttentionWeights {
  Tensor q, q_bias, k, k_bias, v, v_bias, o, o_bias;  // q, k, v, o [h, h]; biases [h]
};

// f -> each rank's local work -> g -> + the row layer's bias (replicated: every rank holds a copy and
// computes the same gradient for it, so the copies stay equal without communication).
class TpBlock {
 public:
  virtual ~TpBlock() = default;
  // Adds the forward's tasks to the group: returns Z (on every rank once the simulator has run).
  TpActivation forward(TpGroup& group, const TpActivation& x);
  // Adds the backward's tasks: dz, the gradient of Z (every rank's copy); returns dX.
  TpActivation backward(TpGroup& group, const TpActivation& dz);
  int ranks() const { return t_; }
  const std::string& name() const { return name_; }
  // Rank r's parameters: its shards, then its copy of the output bias (what its optimizer updates).
  std::vector<Variable> parameters(int rank) const;
  std::int64_t parameter_bytes(int rank) const;  // f32 bytes of parameters(rank)

 protected:
  TpBlock(std::string name, int t) : name_(std::move(name)), t_(t) {}
  // Rank r's partial sum, from the leaf x after f; and its forward flops for `tokens` rows.
  virtual Variable local(int rank, const Variable& x) = 0;
  virtual double local_flops(std::int64_t tokens) const = 0;
  // Set by the derived constructors: per rank, the shards (timing only: shapes without values).
  std::vector<std::vector<Variable>> shards_;
  std::vector<Variable> output_bias_;
  std::vector<Shape> shard_shapes_;  // the shapes of one rank's shards and bias
  bool values_ = true;

 private:
  struct RankState {
    Variable input, partial, summed, output;
  };
  std::string name_;
  int t_;
  std::vector<RankState> state_;
};

// Z = GeLU(X A + a) B + b.
class TpMlp : public TpBlock {
 public:
  // Throws gb::Error when t does not divide f or the weights' shapes do not fit together.
  TpMlp(const MlpWeights& full, int t, std::string name = "MLP");
  TpMlp(std::int64_t hidden, std::int64_t ffn, int t, std::string name = "MLP");  // timing only
  MlpWeights gradients() const;  // the shards' gradients put back in place (rank 0's bias copy)
  MlpWeights weights() const;

 protected:
  Variable local(int rank, const Variable& x) override;
  double local_flops(std::int64_t tokens) const override;

 private:
  std::int64_t hidden_, ffn_;
};

// Causal multi-head self-attention over sequences of `seq` tokens (x is [batch x seq, h]).
class TpAttention : public TpBlock {
 public:
  // Throws gb::Error when t does not divide heads or heads does not divide h.
  TpAttention(const AttentionWeights& full, std::int64_t heads, std::int64_t seq, int t, std::string name = "attention");
  TpAttention(std::int64_t hidden, std::int64_t heads, std::int64_t seq, int t, std::string name = "attention");  // timing only
  AttentionWeights gradients() const;
  AttentionWeights weights() const;

 protected:
  Variable local(int rank, const Variable& x) override;
  double local_flops(std::int64_t tokens) const override;

 private:
  std::int64_t hidden_, heads_, seq_;
};

// softmax(Q K^T / sqrt(d) + causal mask) V for `heads` heads of q, k, v [batch x seq, heads x d]:
// the same function on one device (all heads) and on a TP rank (its heads).
Variable causal_attention(const Variable& q, const Variable& k, const Variable& v, std::int64_t seq, std::int64_t heads);

}  // namespace gb::parallel
