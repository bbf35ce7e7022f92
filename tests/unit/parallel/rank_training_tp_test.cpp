// rank_training_tp_test.cpp: tp_rank_train (rank_training.hpp), lesson 13's model as a rank program on
// simulated ranks, against one device (train_single_device) and the global view (train_tensor_parallel):
// the same losses on every rank, the ranks' shards put back together equal to one device's weights
// (within 1e-5) and to the global view's (bit for bit), bit-identical reruns (what the MPI comparison
// relies on), and Megatron's count of all-reduces.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/rank_training.hpp"
#include "gb/parallel/simulated_ranks.hpp"

namespace {

namespace p = gb::parallel;
using gb::Tensor;
using Weights = std::map<std::string, Tensor>;

constexpr int kSteps = 3;
constexpr double kLr = 0.3;

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

p::TpModelSpec spec_with(bool attention) {
  p::TpModelSpec s;  // vocab 16, hidden 8, heads 4, ffn 32, 2 layers, batch 2 x seq 4
  s.attention = attention;
  return s;
}

std::vector<p::RankRun> run_ranks(int t, const p::TpModelSpec& s, const p::TpModelWeights& w, const Tensor& ids, const Tensor& labels) {
  return p::run_simulated_ranks_collect<p::RankRun>(
      t, [&](p::Communicator& world) { return p::tp_rank_train(world, s, w, ids, labels, kSteps, kLr); });
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * gb::dtype_size(a.dtype())) == 0;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The full weights by rank_training.hpp's names (one device's, or the global view's).
Weights by_name(const p::TpModelWeights& w) {
  Weights out{{"embedding", w.embedding}, {"head", w.head}};
  for (std::size_t l = 0; l < w.mlp.size(); ++l) {
    const std::string layer = "layer" + std::to_string(l);
    if (!w.attention.empty()) {
      const p::AttentionWeights& a = w.attention[l];
      const std::string q = layer + ".attention.";
      for (const auto& [name, t] : {std::pair{"q", a.q}, {"q_bias", a.q_bias}, {"k", a.k}, {"k_bias", a.k_bias}, {"v", a.v},
                                    {"v_bias", a.v_bias}, {"o", a.o}, {"o_bias", a.o_bias}})
        out.emplace(q + name, t);
    }
    const p::MlpWeights& m = w.mlp[l];
    for (const auto& [name, t] : {std::pair{"a", m.a}, {"a_bias", m.a_bias}, {"b", m.b}, {"b_bias", m.b_bias}})
      out.emplace(layer + ".mlp." + name, t);
  }
  return out;
}

// The ranks' shards put back together: the embedding, the output projection and B were split by rows,
// the rest by columns; the replicated biases must be bit for bit equal on every rank (each rank applies
// the same gradient to its copy), and rank 0's copy stands for them.
Weights unshard(const std::vector<p::RankRun>& ranks) {
  Weights out;
  for (const auto& [name, first] : ranks.front().parameters) {
    std::vector<Tensor> shards;
    for (const p::RankRun& r : ranks) shards.push_back(r.parameters.at(name));
    if (ends_with(name, "o_bias") || ends_with(name, "b_bias")) {
      for (const Tensor& copy : shards) EXPECT_TRUE(same_bits(copy, first)) << name << ": replicated copies differ";
      out.emplace(name, first);
    } else {
      const bool rows = name == "embedding" || ends_with(name, ".o") || ends_with(name, ".b");
      out.emplace(name, p::tp_unshard(shards, rows ? p::TpSplit::row : p::TpSplit::column));
    }
  }
  return out;
}

double max_difference(const Weights& got, const Weights& want) {
  EXPECT_EQ(got.size(), want.size());
  double worst = 0;
  for (const auto& [name, w] : want) {
    const auto it = got.find(name);
    if (it == got.end() || it->second.shape() != w.shape()) {
      ADD_FAILURE() << name << " missing or misshaped";
      continue;
    }
    const auto g = it->second.to_vector(), v = w.to_vector();
    for (std::size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::fabs(g[i] - v[i]));
  }
  return worst;
}

TEST(RankTrainingTp, LossesAndWeightsEqualOneDeviceAndTheGlobalView) {
  for (bool attention : {true, false}) {
    const p::TpModelSpec s = spec_with(attention);
    const p::TpModelWeights w = p::init_tp_model(s, 21);
    const auto [ids, labels] = tokens(s, 22);
    const p::TpTraining one = p::train_single_device(s, w, ids, labels, kSteps, kLr);
    ASSERT_LT(one.losses.back(), one.losses.front());  // it learns, so the steps matter
    for (int t : {1, 2, 4}) {
      const std::string at = "t = " + std::to_string(t) + (attention ? ", attention" : ", MLP only");
      const std::vector<p::RankRun> ranks = run_ranks(t, s, w, ids, labels);
      const p::TpTraining global = p::train_tensor_parallel(s, w, ids, labels, t, kSteps, kLr);
      ASSERT_EQ(ranks.front().losses.size(), one.losses.size()) << at;
      for (const p::RankRun& r : ranks) EXPECT_EQ(r.losses, ranks.front().losses) << at;  // bit for bit
      for (std::size_t i = 0; i < one.losses.size(); ++i) {
        const double loss = ranks.front().losses[i];
        EXPECT_NEAR(loss, one.losses[i], 1e-5 * one.losses[i]) << "step " << i << ", " << at;
        // The global view does the same arithmetic in the same order (the same ring, the same VJPs, the
        // same summation into x's adjoint): bit for bit, stronger than the header's 1e-5.
        EXPECT_EQ(loss, global.losses[i]) << "step " << i << ", " << at;
      }
      const Weights together = unshard(ranks);
      EXPECT_LE(max_difference(together, by_name(one.weights)), 1e-5) << at;  // measured: <= 1.2e-7
      EXPECT_EQ(max_difference(together, by_name(global.weights)), 0.0) << at;
    }
  }
}

TEST(RankTrainingTp, TwoRunsAreBitIdentical) {
  const p::TpModelSpec s = spec_with(true);
  const p::TpModelWeights w = p::init_tp_model(s, 41);
  const auto [ids, labels] = tokens(s, 42);
  const std::vector<p::RankRun> first = run_ranks(4, s, w, ids, labels), second = run_ranks(4, s, w, ids, labels);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t r = 0; r < first.size(); ++r) {
    EXPECT_EQ(first[r].losses, second[r].losses) << "rank " << r;
    ASSERT_EQ(first[r].parameters.size(), second[r].parameters.size());
    for (const auto& [name, value] : first[r].parameters) EXPECT_TRUE(same_bits(value, second[r].parameters.at(name))) << name << ", rank " << r;
    EXPECT_EQ(first[r].stats.messages_sent, second[r].stats.messages_sent);
    EXPECT_EQ(first[r].stats.bytes_sent, second[r].stats.bytes_sent);
    EXPECT_EQ(first[r].stats.seconds, second[r].stats.seconds);  // the simulated clock too
  }
}

// Megatron's all-reduces, per step (rank_training_tp.cpp derives them):
//   forward:  the embedding's g; one g per block (attention, MLP) per layer; the loss's MAX, SUM of exp
//             and SUM of the label's logit;
//   backward: one f per block per layer; the head's f (g's backward and the loss's are local).
// Elements: N h for the embedding's g, for each block's g and f and for the head's f; N for each of the
// loss's three. A ring all-reduce sends 2(t-1) messages of (here, t dividing the count) count / t
// elements each.
TEST(RankTrainingTp, AllReducesAreMegatrons) {
  for (bool attention : {true, false}) {
    const p::TpModelSpec s = spec_with(attention);
    const p::TpModelWeights w = p::init_tp_model(s, 51);
    const auto [ids, labels] = tokens(s, 52);
    const std::int64_t blocks = (attention ? 2 : 1) * s.layers, n = s.batch * s.seq, nh = n * s.hidden;
    const std::int64_t forward = 1 + blocks + 3, backward = blocks + 1;
    const std::int64_t elements = nh * (1 + 2 * blocks + 1) + 3 * n;  // over the step's all-reduces
    for (int t : {2, 4}) {
      const std::vector<p::RankRun> ranks = run_ranks(t, s, w, ids, labels);
      for (const p::RankRun& r : ranks) {
        EXPECT_EQ(r.stats.messages_sent, kSteps * (forward + backward) * 2 * (t - 1)) << "t = " << t;
        EXPECT_EQ(r.stats.messages_received, r.stats.messages_sent);
        EXPECT_EQ(r.stats.bytes_sent, kSteps * elements / t * 2 * (t - 1) * 4) << "t = " << t;  // f32
      }
    }
  }
}

TEST(RankTrainingTp, BadGroupOrInputsThrow) {
  auto expect_error = [](int t, const p::TpModelSpec& s, const Tensor& ids, const Tensor& labels, int steps, const std::string& why) {
    const p::TpModelWeights w = p::init_tp_model(s, 61);
    try {
      p::run_simulated_ranks(t, [&](p::Communicator& world) { p::tp_rank_train(world, s, w, ids, labels, steps, kLr); });
      ADD_FAILURE() << "no error: " << why;
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find("tp_rank_train"), std::string::npos) << e.what();
    }
  };
  p::TpModelSpec s;
  s.vocab = 12;  // 3 divides the vocabulary and the MLP width, not the 4 heads
  s.ffn = 24;
  const auto [ids, labels] = tokens(s, 62);
  expect_error(3, s, ids, labels, kSteps, "t = 3 with 4 heads");
  expect_error(2, s, ids, labels, 0, "0 steps");
  Tensor bad = ids.clone();
  bad.set({0}, 12.0);
  expect_error(2, s, bad, labels, kSteps, "an id outside the vocabulary");
  expect_error(2, s, ids, labels.to(gb::DType::f32), kSteps, "f32 labels");
}

}  // namespace
