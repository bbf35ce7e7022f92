// tensor_parallel_train.cpp: a small transformer-style model trained on one device (the reference, plain
// lib/autodiff) and on a tensor-parallel group (lesson 13; see tensor_parallel_model.hpp).
#include <memory>
#include <string>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/tensor_parallel_model.hpp"
#include "tensor_parallel_internal.hpp"

namespace gb::parallel {

namespace ad = gb::autodiff;

TpModelWeights init_tp_model(const TpModelSpec& s, std::uint64_t seed) {
  if (s.vocab < 1 || s.hidden < 1 || s.heads < 1 || s.ffn < 1 || s.layers < 0 || s.batch < 1 || s.seq < 1 || s.hidden % s.heads != 0) {
    throw Error("init_tp_model", "sizes >= 1 (layers >= 0) and heads dividing hidden", "vocab " + std::to_string(s.vocab) + ", hidden " +
                std::to_string(s.hidden) + ", heads " + std::to_string(s.heads));
  }
  Rng rng(seed);
  auto matrix = [&](std::int64_t rows, std::int64_t cols) { return rng.normal({rows, cols}, 0.0, 0.3); };
  auto bias = [&](std::int64_t n) { return rng.normal({n}, 0.0, 0.1); };
  TpModelWeights w;
  w.embedding = matrix(s.vocab, s.hidden);
  for (std::int64_t l = 0; l < s.layers; ++l) {
    if (s.attention) {
      w.attention.push_back({matrix(s.hidden, s.hidden), bias(s.hidden), matrix(s.hidden, s.hidden), bias(s.hidden),
                             matrix(s.hidden, s.hidden), bias(s.hidden), matrix(s.hidden, s.hidden), bias(s.hidden)});
    }
    w.mlp.push_back({matrix(s.hidden, s.ffn), bias(s.ffn), matrix(s.ffn, s.hidden), bias(s.hidden)});
  }
  w.head = matrix(s.hidden, s.vocab);
  return w;
}

namespace {

void check_data(const TpModelSpec& s, const Tensor& ids, const Tensor& labels, int steps, const std::string& op) {
  const Shape expected{s.batch * s.seq};
  if (!ids.defined() || !labels.defined() || ids.dtype() != DType::i64 || labels.dtype() != DType::i64 || ids.shape() != expected ||
      labels.shape() != expected) {
    throw Error(op, "i64 ids and labels [batch x seq] = " + shape_str(expected), ids.defined() ? shape_str(ids.shape()) : "undefined");
  }
  if (steps < 1) throw Error(op, "steps >= 1", std::to_string(steps));
}

// ---- one device: the reference -------------------------------------------------------------------------
struct SingleModel {
  Variable embedding, head;
  std::vector<std::vector<Variable>> attention, mlp;  // per layer, in the order of the weight structs
  std::vector<Variable> parameters() const {
    std::vector<Variable> p = {embedding};
    for (std::size_t l = 0; l < mlp.size(); ++l) {
      if (!attention.empty()) p.insert(p.end(), attention[l].begin(), attention[l].end());
      p.insert(p.end(), mlp[l].begin(), mlp[l].end());
    }
    p.push_back(head);
    return p;
  }
};

Variable leaf(const Tensor& t) { return Variable(t.clone(), true); }

TpModelWeights grads_or_values(const SingleModel& m, bool grad) {
  auto v = [&](const Variable& x) { return grad ? x.grad().value().clone() : x.value().clone(); };
  TpModelWeights w;
  w.embedding = v(m.embedding);
  w.head = v(m.head);
  for (const auto& a : m.attention) w.attention.push_back({v(a[0]), v(a[1]), v(a[2]), v(a[3]), v(a[4]), v(a[5]), v(a[6]), v(a[7])});
  for (const auto& b : m.mlp) w.mlp.push_back({v(b[0]), v(b[1]), v(b[2]), v(b[3])});
  return w;
}

}  // namespace

TpTraining train_single_device(const TpModelSpec& s, const TpModelWeights& init, const Tensor& ids, const Tensor& labels, int steps, double lr) {
  check_data(s, ids, labels, steps, "train_single_device");
  SingleModel m{leaf(init.embedding), leaf(init.head), {}, {}};
  for (const AttentionWeights& a : init.attention) m.attention.push_back({leaf(a.q), leaf(a.q_bias), leaf(a.k), leaf(a.k_bias), leaf(a.v), leaf(a.v_bias), leaf(a.o), leaf(a.o_bias)});
  for (const MlpWeights& b : init.mlp) m.mlp.push_back({leaf(b.a), leaf(b.a_bias), leaf(b.b), leaf(b.b_bias)});
  nn::SGD sgd(m.parameters(), {lr, 0, 0, false, 0});
  const Variable one_hot = ad::constant(tp_detail::one_hot_in_range(ids, 0, s.vocab));
  TpTraining out;
  for (int step = 0; step < steps; ++step) {
    sgd.zero_grad();
    Variable x = ad::matmul(one_hot, m.embedding);
    for (std::size_t l = 0; l < m.mlp.size(); ++l) {
      if (!m.attention.empty()) {
        const auto& a = m.attention[l];
        auto project = [&](std::size_t i) { return ad::add(ad::matmul(x, a[i]), a[i + 1]); };
        x = ad::add(x, ad::add(ad::matmul(causal_attention(project(0), project(2), project(4), s.seq, s.heads), a[6]), a[7]));
      }
      const auto& b = m.mlp[l];
      x = ad::add(x, ad::add(ad::matmul(ad::gelu(ad::add(ad::matmul(x, b[0]), b[1])), b[2]), b[3]));
    }
    const Variable loss = nn::cross_entropy(ad::matmul(x, m.head), labels);
    out.losses.push_back(loss.value().item());
    ad::backward(loss);
    out.gradients = grads_or_values(m, true);
    sgd.step();
  }
  out.weights = grads_or_values(m, false);
  return out;
}

// ---- tensor parallel ---------------------------------------------------------------------------------------
TpTraining train_tensor_parallel(const TpModelSpec& s, const TpModelWeights& init, const Tensor& ids, const Tensor& labels, int t, int steps,
                                 double lr, ClusterSpec cluster) {
  check_data(s, ids, labels, steps, "train_tensor_parallel");
  if (t < 1 || cluster.devices < t) throw Error("train_tensor_parallel", "1 <= t <= the cluster's devices", std::to_string(t));
  TpVocabEmbedding embedding(init.embedding, t);
  std::vector<std::unique_ptr<TpAttention>> attention;
  std::vector<std::unique_ptr<TpMlp>> mlp;
  for (std::size_t l = 0; l < init.mlp.size(); ++l) {
    const std::string layer = " " + std::to_string(l);
    if (!init.attention.empty()) attention.push_back(std::make_unique<TpAttention>(init.attention.at(l), s.heads, s.seq, t, "attention" + layer));
    mlp.push_back(std::make_unique<TpMlp>(init.mlp[l], t, "MLP" + layer));
  }
  TpVocabParallelLoss head(init.head, t);
  // Each rank's optimizer updates its own shards (and its copies of the replicated biases).
  std::vector<std::unique_ptr<nn::SGD>> sgd;
  for (int r = 0; r < t; ++r) {
    std::vector<Variable> p = embedding.parameters(r);
    for (std::size_t l = 0; l < mlp.size(); ++l) {
      if (!attention.empty()) for (const Variable& v : attention[l]->parameters(r)) p.push_back(v);
      for (const Variable& v : mlp[l]->parameters(r)) p.push_back(v);
    }
    p.push_back(head.parameters(r).front());
    sgd.push_back(std::make_unique<nn::SGD>(p, nn::SGDOptions{lr, 0, 0, false, 0}));
  }
  std::vector<int> devices;
  for (int r = 0; r < t; ++r) devices.push_back(r);

  TpTraining out;
  for (int step = 0; step < steps; ++step) {
    for (auto& o : sgd) o->zero_grad();
    Simulator sim{Cluster(cluster)};
    TpGroup g(sim, devices);
    TpActivation x = embedding.forward(g, ids);
    for (std::size_t l = 0; l < mlp.size(); ++l) {
      if (!attention.empty()) x = tp_detail::residual(g, x, attention[l]->forward(g, x), TaskKind::forward);
      x = tp_detail::residual(g, x, mlp[l]->forward(g, x), TaskKind::forward);
    }
    head.forward(g, x, labels);
    TpActivation dx = head.backward(g);
    for (std::size_t l = mlp.size(); l-- > 0;) {
      // d(x + block(x)) / dx: the gradient itself (the residual path) plus the block's dX.
      dx = tp_detail::residual(g, dx, mlp[l]->backward(g, dx), TaskKind::backward);
      if (!attention.empty()) dx = tp_detail::residual(g, dx, attention[l]->backward(g, dx), TaskKind::backward);
    }
    embedding.backward(g, dx);
    out.last_step = sim.run();
    out.collectives = g.collectives();
    out.losses.push_back(head.loss());
    out.gradients.embedding = embedding.gradients();
    out.gradients.head = head.gradients();
    out.gradients.attention.clear();
    out.gradients.mlp.clear();
    for (std::size_t l = 0; l < mlp.size(); ++l) {
      if (!attention.empty()) out.gradients.attention.push_back(attention[l]->gradients());
      out.gradients.mlp.push_back(mlp[l]->gradients());
    }
    for (auto& o : sgd) o->step();
  }
  out.weights.embedding = embedding.weights();
  out.weights.head = head.weights();
  for (std::size_t l = 0; l < mlp.size(); ++l) {
    if (!attention.empty()) out.weights.attention.push_back(attention[l]->weights());
    out.weights.mlp.push_back(mlp[l]->weights());
  }
  return out;
}

}  // namespace gb::parallel
