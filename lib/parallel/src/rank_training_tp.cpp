// rank_training_tp.cpp: lesson 13's tensor-parallel model as a rank program (issue 11; see
// rank_training.hpp). The TP group is the whole world: rank r of t holds only its shards and its copies
// of the replicated biases, builds an ordinary lib/autodiff graph on them, and meets the other ranks
// only inside the f and g operations of rank_training_tp_ops.hpp. One step, on every rank:
//
//   x = g(one_hot_r(ids) E_r)                                        vocabulary-parallel embedding
//   per layer:  x = x + g(attention_r(f(x)) W_o,r) + b_o             heads r H/t .. (r+1) H/t - 1
//               x = x + g(GeLU(f(x) A_r + a_r) B_r) + b              columns r F/t .. of A, rows of B
//   loss = vocab_parallel_cross_entropy(f(x) W_head,r)               logits of ids r V/t ..
//   backward(loss); SGD on this rank's parameters
//
// The communication is Megatron's, counted per step (t > 1; each all-reduce is one ring):
//   forward   1 (the embedding's g) + per layer 1 g per block + 3 (the loss: MAX, SUM of exp, SUM of the
//             label's logit)
//   backward  per layer 1 f per block + 1 (the head's f); g's backward, the embedding's and the loss's
//             own backward are local
//   total     5 + 2 x blocks_per_layer x layers all-reduces (blocks_per_layer = 2 with attention, else 1).
//
// Every rank's graph has the same shape (same ops, same inputs in the same order, only the shards'
// values differ), and autodiff::backward visits it in an order fixed by that shape (backward.cpp's
// depth-first search over each node's inputs in order). So every rank reaches its f nodes, and calls
// their all-reduces, in the same order, which the communicator's collectives require: nothing else
// synchronises the ranks' backward passes.
#include <string>
#include <utility>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/rank_training.hpp"
#include "rank_training_tp_ops.hpp"

namespace gb::parallel {

namespace ad = gb::autodiff;
using tp_rank::copy_to_region;
using tp_rank::reduce_from_region;

namespace {

const std::string kOp = "tp_rank_train";

void expect_shape(const Tensor& t, const Shape& shape, const std::string& what) {
  if (!t.defined() || t.shape() != shape) throw Error(kOp, what + " " + shape_str(shape), t.defined() ? shape_str(t.shape()) : "undefined");
}

// The checks of tensor_parallel_train.cpp (data, steps), the global view's divisibility checks, and the
// weights' shapes, all before any communication: every rank throws the same error, none waits.
void check_inputs(int t, const TpModelSpec& s, const TpModelWeights& init, const Tensor& ids, const Tensor& labels, int steps) {
  const Shape expected{s.batch * s.seq};
  if (!ids.defined() || !labels.defined() || ids.dtype() != DType::i64 || labels.dtype() != DType::i64 || ids.shape() != expected ||
      labels.shape() != expected) {
    throw Error(kOp, "i64 ids and labels [batch x seq] = " + shape_str(expected), ids.defined() ? shape_str(ids.shape()) : "undefined");
  }
  if (steps < 1) throw Error(kOp, "steps >= 1", std::to_string(steps));
  for (const Tensor* v : {&ids, &labels})
    for (double id : v->to_vector())
      if (id < 0 || id >= static_cast<double>(s.vocab)) {
        throw Error(kOp, "ids and labels in [0, " + std::to_string(s.vocab) + ")", std::to_string(static_cast<std::int64_t>(id)));
      }
  if (s.hidden < 1 || s.heads < 1 || s.hidden % s.heads != 0 || s.vocab % t != 0 || s.ffn % t != 0 || (s.attention && s.heads % t != 0)) {
    throw Error(kOp, "t = world.size() dividing the vocabulary, the MLP width and (with attention) the heads; heads dividing hidden",
                "t = " + std::to_string(t) + ", vocab " + std::to_string(s.vocab) + ", ffn " + std::to_string(s.ffn) + ", heads " +
                    std::to_string(s.heads) + ", hidden " + std::to_string(s.hidden));
  }
  const std::int64_t h = s.hidden;
  expect_shape(init.embedding, {s.vocab, h}, "embedding");
  expect_shape(init.head, {h, s.vocab}, "head");
  const auto layers = static_cast<std::size_t>(s.layers);
  if (init.mlp.size() != layers || init.attention.size() != (s.attention ? layers : 0)) {
    throw Error(kOp, std::to_string(s.layers) + " MLP blocks" + (s.attention ? " and attention blocks" : ", no attention"),
                std::to_string(init.mlp.size()) + " MLP, " + std::to_string(init.attention.size()) + " attention");
  }
  for (const MlpWeights& m : init.mlp) {
    expect_shape(m.a, {h, s.ffn}, "MLP A");
    expect_shape(m.a_bias, {s.ffn}, "MLP a");
    expect_shape(m.b, {s.ffn, h}, "MLP B");
    expect_shape(m.b_bias, {h}, "MLP b");
  }
  for (const AttentionWeights& a : init.attention) {
    for (const Tensor* m : {&a.q, &a.k, &a.v, &a.o}) expect_shape(*m, {h, h}, "attention q, k, v, o");
    for (const Tensor* b : {&a.q_bias, &a.k_bias, &a.v_bias, &a.o_bias}) expect_shape(*b, {h}, "attention biases");
  }
}

// What this rank holds, by name (rank_training.hpp's names), in a fixed order: the optimizer's list.
struct RankModel {
  std::vector<std::pair<std::string, Variable>> named;
  const Variable& at(std::size_t i) const { return named[i].second; }
};

Variable shard(const Tensor& w, TpSplit split, int t, int r) { return Variable(tp_shard(w, split, t, r), true); }
Variable shard_bias(const Tensor& b, int t, int r) { return Variable(tp_shard_bias(b, t, r), true); }
Variable replicated(const Tensor& b) { return Variable(b.clone(), true); }

// Cut from the full weights every rank loads, as tensor_parallel_layers.cpp / _vocab.cpp cut them:
// the embedding by rows (ids), Q, K, V and A by columns (whole heads, MLP columns) with their biases,
// the output projection and B by rows, the head by columns (ids); o_bias and b_bias replicated.
RankModel cut_shards(const TpModelWeights& w, int t, int r) {
  RankModel m;
  m.named.emplace_back("embedding", shard(w.embedding, TpSplit::row, t, r));
  for (std::size_t l = 0; l < w.mlp.size(); ++l) {
    const std::string layer = "layer" + std::to_string(l);
    if (!w.attention.empty()) {
      const AttentionWeights& a = w.attention[l];
      const std::string p = layer + ".attention.";
      m.named.emplace_back(p + "q", shard(a.q, TpSplit::column, t, r));
      m.named.emplace_back(p + "q_bias", shard_bias(a.q_bias, t, r));
      m.named.emplace_back(p + "k", shard(a.k, TpSplit::column, t, r));
      m.named.emplace_back(p + "k_bias", shard_bias(a.k_bias, t, r));
      m.named.emplace_back(p + "v", shard(a.v, TpSplit::column, t, r));
      m.named.emplace_back(p + "v_bias", shard_bias(a.v_bias, t, r));
      m.named.emplace_back(p + "o", shard(a.o, TpSplit::row, t, r));
      m.named.emplace_back(p + "o_bias", replicated(a.o_bias));
    }
    const MlpWeights& b = w.mlp[l];
    const std::string p = layer + ".mlp.";
    m.named.emplace_back(p + "a", shard(b.a, TpSplit::column, t, r));
    m.named.emplace_back(p + "a_bias", shard_bias(b.a_bias, t, r));
    m.named.emplace_back(p + "b", shard(b.b, TpSplit::row, t, r));
    m.named.emplace_back(p + "b_bias", replicated(b.b_bias));
  }
  m.named.emplace_back("head", shard(w.head, TpSplit::column, t, r));
  return m;
}

// Attention block, parameters at[i .. i+7] = q, q_bias, k, k_bias, v, v_bias, o, o_bias: this rank's
// heads attend locally; the output projection's rows of those heads give a partial sum for g; the bias
// after g, so it is added once.
Variable attention_block(Communicator& group, const Variable& x, const RankModel& m, std::size_t i, const TpModelSpec& s) {
  const Variable xf = copy_to_region(group, x);
  auto project = [&](std::size_t k) { return ad::add(ad::matmul(xf, m.at(i + k)), m.at(i + k + 1)); };
  const Variable o = causal_attention(project(0), project(2), project(4), s.seq, s.heads / group.size());
  return ad::add(reduce_from_region(group, ad::matmul(o, m.at(i + 6))), m.at(i + 7));
}

// MLP block, parameters at[i .. i+3] = a, a_bias, b, b_bias: GeLU on this rank's whole columns of X A
// (local), B's matching rows give a partial sum for g.
Variable mlp_block(Communicator& group, const Variable& x, const RankModel& m, std::size_t i) {
  const Variable h = ad::gelu(ad::add(ad::matmul(copy_to_region(group, x), m.at(i)), m.at(i + 1)));
  return ad::add(reduce_from_region(group, ad::matmul(h, m.at(i + 2))), m.at(i + 3));
}

}  // namespace

RankRun tp_rank_train(Communicator& world, const TpModelSpec& spec, const TpModelWeights& init, const Tensor& ids, const Tensor& labels,
                      int steps, double lr) {
  check_inputs(world.size(), spec, init, ids, labels, steps);
  const RankModel m = cut_shards(init, world.size(), world.rank());
  std::vector<Variable> parameters;
  for (const auto& [name, p] : m.named) parameters.push_back(p);
  nn::SGD sgd(parameters, {lr, 0, 0, false, 0});  // p -= lr * grad, on this rank's own parameters only

  RankRun run;
  for (int step = 0; step < steps; ++step) {
    sgd.zero_grad();
    std::size_t i = 0;  // walks m.named in cut_shards' order
    Variable x = tp_rank::vocab_parallel_embedding(world, m.at(i++), ids);
    for (std::int64_t l = 0; l < spec.layers; ++l) {
      if (spec.attention) {
        x = ad::add(x, attention_block(world, x, m, i, spec));
        i += 8;
      }
      x = ad::add(x, mlp_block(world, x, m, i));
      i += 4;
    }
    const Variable logits = ad::matmul(copy_to_region(world, x), m.at(i));
    const Variable loss = tp_rank::vocab_parallel_cross_entropy(world, logits, labels);
    run.losses.push_back(loss.value().item());  // equal on every rank: computed from all-reduced vectors
    ad::backward(loss);  // issues the f all-reduces, in the same order on every rank (see the top)
    sgd.step();
  }
  for (const auto& [name, p] : m.named) run.parameters.emplace(name, p.value().clone());
  run.stats = world.stats();
  return run;
}

}  // namespace gb::parallel
