// tensor_parallel_test.cpp: Megatron's tensor-parallel blocks (lesson 13) against one device. The
// reference is plain lib/autodiff on the unsplit weights; the communication is measured from the
// simulated execution and compared with the ring's published volume 2 (t - 1) / t x S per rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/hybrid_training.hpp"
#include "gb/parallel/tensor_parallel_model.hpp"

namespace {

namespace p = gb::parallel;
namespace ad = gb::autodiff;
using gb::Tensor;
using ad::Variable;

// f32 against f32 with a different summation order: 1e-5 of the reference's largest magnitude.
void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector(), w = want.to_vector();
  double scale = 1e-3, worst = 0;
  for (double v : w) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::fabs(g[i] - w[i]));
  EXPECT_LE(worst, 1e-5 * scale) << what;
}

p::MlpWeights mlp_weights(std::int64_t h, std::int64_t f, std::uint64_t seed) {
  gb::Rng rng(seed);
  return {rng.normal({h, f}, 0, 0.3), rng.normal({f}, 0, 0.1), rng.normal({f, h}, 0, 0.3), rng.normal({h}, 0, 0.1)};
}

p::AttentionWeights attention_weights(std::int64_t h, std::uint64_t seed) {
  gb::Rng rng(seed);
  auto m = [&] { return rng.normal({h, h}, 0, 0.3); };
  auto b = [&] { return rng.normal({h}, 0, 0.1); };
  return {m(), b(), m(), b(), m(), b(), m(), b()};
}

Variable leaf(const Tensor& t) { return Variable(t.clone(), true); }

// The ring sends 2 (t - 1) chunks of S / t bytes per rank.
std::int64_t ring_bytes(std::int64_t bytes, int t) { return 2 * (t - 1) * bytes / t; }

TEST(TensorParallelMlp, OutputAndEveryGradientEqualOneDevice) {
  const std::int64_t n = 6, h = 8, f = 16;
  const p::MlpWeights w = mlp_weights(h, f, 1);
  gb::Rng rng(2);
  const Tensor x = rng.normal({n, h}), dz = rng.normal({n, h});
  // One device: Z = GeLU(X A + a) B + b, lib/autodiff.
  Variable X = leaf(x), A = leaf(w.a), a = leaf(w.a_bias), B = leaf(w.b), b = leaf(w.b_bias);
  const Variable z = ad::add(ad::matmul(ad::gelu(ad::add(ad::matmul(X, A), a)), B), b);
  ad::backward(z, dz);
  for (int t : {1, 2, 4}) {
    p::TpMlp block(w, t);
    const p::TpBlockRun run = p::run_tp_block(block, x, dz);
    const std::string at = "t = " + std::to_string(t);
    for (int r = 0; r < t; ++r) {
      expect_close(run.outputs[static_cast<std::size_t>(r)], z.value(), "Z on rank " + std::to_string(r) + ", " + at);
      expect_close(run.grad_inputs[static_cast<std::size_t>(r)], X.grad().value(), "dX on rank " + std::to_string(r) + ", " + at);
    }
    const p::MlpWeights g = block.gradients();
    expect_close(g.a, A.grad().value(), "dA, " + at);
    expect_close(g.a_bias, a.grad().value(), "da, " + at);
    expect_close(g.b, B.grad().value(), "dB, " + at);
    expect_close(g.b_bias, b.grad().value(), "db, " + at);
    // The replicated bias: every rank computed the same gradient for its copy.
    for (int r = 1; r < t; ++r) expect_close(block.parameters(r).back().grad().value(), b.grad().value(), "db on rank " + std::to_string(r));
  }
}

TEST(TensorParallelMlp, OneAllReduceEachWayOfTwoTMinusOneOverTTimesTheActivation) {
  const std::int64_t n = 8, h = 8, f = 256;
  const p::MlpWeights w = mlp_weights(h, f, 3);
  gb::Rng rng(4);
  const Tensor x = rng.normal({n, h}), dz = rng.normal({n, h});
  double compute_one = 0;
  for (int t : {1, 2, 4}) {
    p::TpMlp block(w, t);
    const p::TpBlockRun run = p::run_tp_block(block, x, dz);
    ASSERT_EQ(run.collectives.size(), 2u);
    EXPECT_EQ(run.collectives[0].phase, gb::parallel::TaskKind::forward);   // g
    EXPECT_EQ(run.collectives[1].phase, gb::parallel::TaskKind::backward);  // f
    const std::int64_t activation = n * h * 4;
    for (const p::TpCollective& c : run.collectives) {
      EXPECT_EQ(c.buffer_bytes, activation);
      for (std::int64_t sent : c.bytes_sent) EXPECT_EQ(sent, ring_bytes(activation, t)) << c.name << ", t = " << t;
    }
    // Parameters per device: 1/t of A, a and B, plus the whole replicated b.
    for (std::int64_t bytes : run.parameter_bytes) EXPECT_EQ(bytes, (2 * h * f + f) / t * 4 + h * 4) << "t = " << t;
    // Compute per rank: 1/t of one device's, within 1%: the bias adds are not split (2 N h flops beside
    // the 12 N h f / t of the products).
    if (t == 1) compute_one = run.compute_seconds[0];
    for (double s : run.compute_seconds) EXPECT_NEAR(s * t / compute_one, 1.0, 0.01) << "t = " << t;
  }
}

TEST(TensorParallelMlp, TimingOnlyIssuesTheSameTasksAndBytes) {
  p::TpMlp with_values(mlp_weights(8, 32, 5), 4), shapes_only(8, 32, 4);
  gb::Rng rng(6);
  const p::TpBlockRun real = p::run_tp_block(with_values, rng.normal({8, 8}), rng.normal({8, 8}));
  const p::TpBlockRun timed = p::time_tp_block(shapes_only, 8, 8);
  EXPECT_EQ(real.execution.tasks.size(), timed.execution.tasks.size());
  EXPECT_DOUBLE_EQ(real.execution.makespan, timed.execution.makespan);
  EXPECT_EQ(real.bytes_sent, timed.bytes_sent);
  EXPECT_EQ(real.parameter_bytes, timed.parameter_bytes);
}

TEST(TensorParallelAttention, OutputAndEveryGradientEqualOneDevice) {
  const std::int64_t batch = 2, seq = 3, h = 8, heads = 4;
  const p::AttentionWeights w = attention_weights(h, 7);
  gb::Rng rng(8);
  const Tensor x = rng.normal({batch * seq, h}), dz = rng.normal({batch * seq, h});
  Variable X = leaf(x), Q = leaf(w.q), q = leaf(w.q_bias), K = leaf(w.k), k = leaf(w.k_bias), V = leaf(w.v), v = leaf(w.v_bias),
           O = leaf(w.o), o = leaf(w.o_bias);
  auto project = [&](const Variable& m, const Variable& b) { return ad::add(ad::matmul(X, m), b); };
  const Variable z = ad::add(ad::matmul(p::causal_attention(project(Q, q), project(K, k), project(V, v), seq, heads), O), o);
  ad::backward(z, dz);
  for (int t : {1, 2, 4}) {
    p::TpAttention block(w, heads, seq, t);
    const p::TpBlockRun run = p::run_tp_block(block, x, dz);
    const std::string at = "t = " + std::to_string(t);
    expect_close(run.output, z.value(), "Z, " + at);
    expect_close(run.grad_input, X.grad().value(), "dX, " + at);
    const p::AttentionWeights g = block.gradients();
    expect_close(g.q, Q.grad().value(), "dWq, " + at);
    expect_close(g.k_bias, k.grad().value(), "dbk, " + at);
    expect_close(g.v, V.grad().value(), "dWv, " + at);
    expect_close(g.o, O.grad().value(), "dWo, " + at);
    expect_close(g.o_bias, o.grad().value(), "dbo, " + at);
    ASSERT_EQ(run.collectives.size(), 2u) << at;
    for (const p::TpCollective& c : run.collectives)
      for (std::int64_t sent : c.bytes_sent) EXPECT_EQ(sent, ring_bytes(batch * seq * h * 4, t)) << at;
  }
}

TEST(TensorParallel, SplitsThatDoNotDivideAreErrors) {
  auto expect_error = [](auto make, const std::string& words) {
    try {
      make();
      ADD_FAILURE() << "accepted: " << words;
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error([] { p::TpMlp(mlp_weights(8, 6, 1), 4); }, "dividing");
  expect_error([] { p::TpAttention(attention_weights(8, 1), 4, 2, 3); }, "t dividing the heads");
  expect_error([] { p::TpVocabEmbedding(Tensor::zeros({10, 4}), 4); }, "dividing");
  expect_error([] { p::TpVocabParallelLoss(Tensor::zeros({4, 10}), 3); }, "dividing");
  p::TpMlp block(mlp_weights(8, 16, 1), 2);
  expect_error([&] { p::run_tp_block(block, Tensor::zeros({4, 8}), Tensor::zeros({4, 7})); }, "same shape");
  gb::parallel::ClusterSpec one;
  one.devices = 1;
  expect_error([&] { p::run_tp_block(block, Tensor::zeros({4, 8}), Tensor::zeros({4, 8}), one); }, "at least t = 2");
}

// ids and labels of a tiny language-model batch.
std::pair<Tensor, Tensor> tokens(const p::TpModelSpec& s, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<std::int64_t> ids, labels;
  for (std::int64_t i = 0; i < s.batch * s.seq; ++i) {
    ids.push_back(static_cast<std::int64_t>(rng.uniform(0, static_cast<double>(s.vocab))));
    labels.push_back(static_cast<std::int64_t>(rng.uniform(0, static_cast<double>(s.vocab))));
  }
  return {Tensor::from_vector(ids, {s.batch * s.seq}), Tensor::from_vector(labels, {s.batch * s.seq})};
}

void expect_same_weights(const p::TpModelWeights& got, const p::TpModelWeights& want, const std::string& at) {
  expect_close(got.embedding, want.embedding, "embedding, " + at);
  expect_close(got.head, want.head, "output layer, " + at);
  ASSERT_EQ(got.mlp.size(), want.mlp.size());
  ASSERT_EQ(got.attention.size(), want.attention.size());
  for (std::size_t l = 0; l < got.mlp.size(); ++l) {
    const std::string layer = " of layer " + std::to_string(l) + ", " + at;
    expect_close(got.mlp[l].a, want.mlp[l].a, "A" + layer);
    expect_close(got.mlp[l].a_bias, want.mlp[l].a_bias, "a" + layer);
    expect_close(got.mlp[l].b, want.mlp[l].b, "B" + layer);
    expect_close(got.mlp[l].b_bias, want.mlp[l].b_bias, "b" + layer);
  }
  for (std::size_t l = 0; l < got.attention.size(); ++l) {
    const std::string layer = " of layer " + std::to_string(l) + ", " + at;
    expect_close(got.attention[l].q, want.attention[l].q, "Wq" + layer);
    expect_close(got.attention[l].v_bias, want.attention[l].v_bias, "bv" + layer);
    expect_close(got.attention[l].o, want.attention[l].o, "Wo" + layer);
    expect_close(got.attention[l].o_bias, want.attention[l].o_bias, "bo" + layer);
  }
}

TEST(TensorParallelVocab, EmbeddingAndCrossEntropyGradientsEqualOneDevice) {
  p::TpModelSpec s;
  s.layers = 0;
  const p::TpModelWeights w = p::init_tp_model(s, 11);
  const auto [ids, labels] = tokens(s, 12);
  const p::TpTraining one = p::train_single_device(s, w, ids, labels, 1, 0.5);
  for (int t : {1, 2, 4}) {
    const p::TpTraining tp = p::train_tensor_parallel(s, w, ids, labels, t, 1, 0.5);
    EXPECT_NEAR(tp.losses[0], one.losses[0], 1e-5 * one.losses[0]) << "t = " << t;
    expect_same_weights(tp.gradients, one.gradients, "gradients, t = " + std::to_string(t));
    // Forward: embedding (g), MAX, SUM of exp, SUM of the label's logit; backward: f of the output layer.
    ASSERT_EQ(tp.collectives.size(), 5u);
    EXPECT_EQ(tp.collectives[1].op, p::ReduceOp::max);
    const std::int64_t n = s.batch * s.seq;
    for (int i = 1; i <= 3; ++i) EXPECT_EQ(tp.collectives[static_cast<std::size_t>(i)].buffer_bytes, n * 4);  // N values, not N x V
  }
}

TEST(TensorParallelTraining, StepsOfABlockStackEqualOneDevice) {
  p::TpModelSpec s;  // 2 layers of x + attention(x), x + MLP(x)
  const p::TpModelWeights w = p::init_tp_model(s, 21);
  const auto [ids, labels] = tokens(s, 22);
  const p::TpTraining one = p::train_single_device(s, w, ids, labels, 3, 0.3);
  EXPECT_LT(one.losses.back(), one.losses.front());  // it learns
  for (int t : {2, 4}) {
    const p::TpTraining tp = p::train_tensor_parallel(s, w, ids, labels, t, 3, 0.3);
    for (std::size_t i = 0; i < one.losses.size(); ++i) EXPECT_NEAR(tp.losses[i], one.losses[i], 1e-5 * one.losses[i]) << "step " << i << ", t = " << t;
    expect_same_weights(tp.weights, one.weights, "after 3 steps, t = " + std::to_string(t));
    // Per layer: one all-reduce forward and one backward for each of attention and MLP.
    std::size_t forward = 0, backward = 0;
    for (const p::TpCollective& c : tp.collectives) (c.phase == p::TaskKind::forward ? forward : backward) += 1;
    EXPECT_EQ(forward, 1 + 3 + 2 * static_cast<std::size_t>(s.layers));
    EXPECT_EQ(backward, 1 + 2 * static_cast<std::size_t>(s.layers));
  }
}

// All three at once (hybrid_training.hpp): replicas over the batch, TP groups inside each pipeline stage,
// the stages joined by messages; the same losses and weights as one device after 3 steps.
TEST(TensorParallel3d, StepsOnADpTpPpMeshEqualOneDevice) {
  p::TpModelSpec s;  // 2 layers of x + attention(x), x + MLP(x)
  s.batch = 4;
  const p::TpModelWeights w = p::init_tp_model(s, 31);
  const auto [ids, labels] = tokens(s, 32);
  const p::TpTraining one = p::train_single_device(s, w, ids, labels, 3, 0.3);
  EXPECT_LT(one.losses.back(), one.losses.front());  // it learns
  for (auto [dp, tp, pp] : {std::tuple{1, 1, 1}, {2, 1, 1}, {1, 2, 2}, {2, 1, 2}, {2, 2, 2}, {4, 2, 1}}) {
    const p::Mesh mesh(dp, tp, pp);
    const p::TpTraining run = p::train_3d(s, w, ids, labels, mesh, 3, 0.3);
    const std::string at = mesh.describe();
    for (std::size_t i = 0; i < one.losses.size(); ++i) EXPECT_NEAR(run.losses[i], one.losses[i], 1e-5 * one.losses[i]) << "step " << i << ", " << at;
    expect_same_weights(run.weights, one.weights, "after 3 steps, " + at);
    // Replica 0's TP all-reduces in the last step do not depend on the pipeline: per layer one forward and
    // one backward for each of attention and MLP, plus the vocabulary-parallel ones (with tp = 1 the group
    // of one rank still issues them; they send nothing).
    std::size_t forward = 0, backward = 0;
    for (const p::TpCollective& c : run.collectives) (c.phase == p::TaskKind::forward ? forward : backward) += 1;
    EXPECT_EQ(forward, 1 + 3 + 2 * static_cast<std::size_t>(s.layers)) << at;
    EXPECT_EQ(backward, 1 + 2 * static_cast<std::size_t>(s.layers)) << at;
  }
  EXPECT_THROW(p::train_3d(s, w, ids, labels, p::Mesh(3, 1, 1), 1, 0.3), gb::Error);  // 3 does not divide 4 sequences
  EXPECT_THROW(p::train_3d(s, w, ids, labels, p::Mesh(1, 3, 1), 1, 0.3), gb::Error);  // nor the vocabulary of 16
}

}  // namespace
