// hybrid_training_3d.cpp: train_3d (hybrid_training.hpp): lesson 13's model on a dp x tp x pp mesh, with
// the real math: tensor-parallel stages joined by messages, replicas averaged by their DP groups.
#include <memory>
#include <string>

#include "gb/core/error.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/hybrid_training.hpp"
#include "gb/parallel/tensor_parallel_layers.hpp"
#include "gb/parallel/tensor_parallel_vocab.hpp"
#include "tensor_parallel_internal.hpp"

namespace gb::parallel {

namespace {

// One replica's modules, each split over t ranks, and one optimizer per (stage, rank).
struct Replica {
  std::unique_ptr<TpVocabEmbedding> embedding;
  std::vector<std::unique_ptr<TpAttention>> attention;  // per layer (empty without attention)
  std::vector<std::unique_ptr<TpMlp>> mlp;              // per layer
  std::unique_ptr<TpVocabParallelLoss> head;
  std::vector<std::vector<Variable>> parameters;        // per (stage, rank): stage x t + rank
  std::vector<std::unique_ptr<nn::SGD>> sgd;            // the same index
};

// Each TP rank of stage `from` sends its copy of x to the same rank of stage `to`: a message each,
// after which that rank's next task may start.
TpActivation send_between(TpGroup& from, TpGroup& to, const TpActivation& x) {
  TpActivation out = to.activation(x.shape);
  for (int r = 0; r < to.size(); ++r) {
    const auto i = static_cast<std::size_t>(r);
    const int message = send_recv(to.simulator(), from.device(r), to.device(r), x.copies[i], out.copies[i], {from.last(r)});
    to.wait_for(r, message);
  }
  return out;
}

}  // namespace

TpTraining train_3d(const TpModelSpec& s, const TpModelWeights& init, const Tensor& ids, const Tensor& labels, const Mesh& mesh,
                    int steps, double lr, ClusterSpec cluster) {
  const std::string op = "train_3d";
  const int dp = mesh.dp(), t = mesh.tp(), pp = mesh.pp();
  const auto layers = static_cast<int>(init.mlp.size());
  if (s.batch % dp != 0) throw Error(op, "a batch of sequences divisible by dp = " + std::to_string(dp), std::to_string(s.batch));
  if (steps < 1) throw Error(op, "steps >= 1", std::to_string(steps));
  if (!ids.defined() || !labels.defined() || ids.dtype() != DType::i64 || labels.dtype() != DType::i64 ||
      ids.shape() != Shape{s.batch * s.seq} || labels.shape() != Shape{s.batch * s.seq}) {
    throw Error(op, "i64 ids and labels [batch x seq] = [" + std::to_string(s.batch * s.seq) + "]",
                ids.defined() ? shape_str(ids.shape()) : "undefined");
  }
  cluster.devices = mesh.size();
  auto first_layer = [&](int stage) { return stage * layers / pp; };  // stage s: [first(s), first(s + 1))

  std::vector<Replica> replicas(static_cast<std::size_t>(dp));
  for (Replica& rep : replicas) {
    rep.embedding = std::make_unique<TpVocabEmbedding>(init.embedding, t);
    for (int l = 0; l < layers; ++l) {
      const std::string layer = " " + std::to_string(l);
      if (!init.attention.empty()) {
        rep.attention.push_back(std::make_unique<TpAttention>(init.attention.at(static_cast<std::size_t>(l)), s.heads, s.seq, t, "attention" + layer));
      }
      rep.mlp.push_back(std::make_unique<TpMlp>(init.mlp[static_cast<std::size_t>(l)], t, "MLP" + layer));
    }
    rep.head = std::make_unique<TpVocabParallelLoss>(init.head, t);
    for (int stage = 0; stage < pp; ++stage) {
      for (int r = 0; r < t; ++r) {
        std::vector<Variable> p;
        if (stage == 0) p = rep.embedding->parameters(r);
        for (int l = first_layer(stage); l < first_layer(stage + 1); ++l) {
          if (!rep.attention.empty()) for (const Variable& v : rep.attention[static_cast<std::size_t>(l)]->parameters(r)) p.push_back(v);
          for (const Variable& v : rep.mlp[static_cast<std::size_t>(l)]->parameters(r)) p.push_back(v);
        }
        if (stage == pp - 1) p.push_back(rep.head->parameters(r).front());
        rep.sgd.push_back(std::make_unique<nn::SGD>(p, nn::SGDOptions{lr, 0, 0, false, 0}));
        rep.parameters.push_back(std::move(p));
      }
    }
  }

  const std::int64_t rows = s.batch / dp * s.seq;
  TpTraining out;
  for (int step = 0; step < steps; ++step) {
    Simulator sim{Cluster(cluster)};
    double loss = 0;
    out.collectives.clear();  // the last step's are kept
    for (int d = 0; d < dp; ++d) {
      Replica& rep = replicas[static_cast<std::size_t>(d)];
      for (auto& o : rep.sgd) o->zero_grad();
      const Tensor my_ids = ids.slice(0, d * rows, (d + 1) * rows).contiguous();
      const Tensor my_labels = labels.slice(0, d * rows, (d + 1) * rows).contiguous();
      std::vector<std::unique_ptr<TpGroup>> g;  // one TP group per stage
      for (int stage = 0; stage < pp; ++stage) g.push_back(std::make_unique<TpGroup>(sim, mesh.tp_group(mesh.device({d, 0, stage}))));

      TpActivation x = rep.embedding->forward(*g[0], my_ids);
      for (int stage = 0; stage < pp; ++stage) {
        TpGroup& here = *g[static_cast<std::size_t>(stage)];
        if (stage > 0) x = send_between(*g[static_cast<std::size_t>(stage) - 1], here, x);
        for (int l = first_layer(stage); l < first_layer(stage + 1); ++l) {
          const auto li = static_cast<std::size_t>(l);
          if (!rep.attention.empty()) x = tp_detail::residual(here, x, rep.attention[li]->forward(here, x), TaskKind::forward);
          x = tp_detail::residual(here, x, rep.mlp[li]->forward(here, x), TaskKind::forward);
        }
      }
      rep.head->forward(*g.back(), x, my_labels);
      TpActivation dx = rep.head->backward(*g.back());
      for (int stage = pp - 1; stage >= 0; --stage) {
        TpGroup& here = *g[static_cast<std::size_t>(stage)];
        for (int l = first_layer(stage + 1); l-- > first_layer(stage);) {
          const auto li = static_cast<std::size_t>(l);
          dx = tp_detail::residual(here, dx, rep.mlp[li]->backward(here, dx), TaskKind::backward);
          if (!rep.attention.empty()) dx = tp_detail::residual(here, dx, rep.attention[li]->backward(here, dx), TaskKind::backward);
        }
        if (stage > 0) dx = send_between(here, *g[static_cast<std::size_t>(stage) - 1], dx);
      }
      rep.embedding->backward(*g[0], dx);
      if (d == 0) {
        for (const auto& group : g) out.collectives.insert(out.collectives.end(), group->collectives().begin(), group->collectives().end());
      }
    }
    out.last_step = sim.run();  // every replica's stages, with the real math
    for (const Replica& rep : replicas) loss += rep.head->loss() / dp;
    out.losses.push_back(loss);

    // Each (stage, TP rank) averages its shards' gradients with the same shards of the other replicas.
    Simulator sync{Cluster(cluster)};
    std::vector<std::vector<Tensor>> averaged;
    std::vector<std::vector<Variable>> owners;
    for (int stage = 0; stage < pp; ++stage) {
      for (int r = 0; r < t; ++r) {
        const std::vector<int> group = mesh.dp_group(mesh.device({0, r, stage}));
        const auto k = static_cast<std::size_t>(stage * t + r);
        for (std::size_t p = 0; p < replicas[0].parameters[k].size(); ++p) {
          std::vector<Tensor> copies;
          std::vector<Variable> params;
          for (const Replica& rep : replicas) {
            params.push_back(rep.parameters[k][p]);
            copies.push_back(params.back().grad().value().contiguous().clone());
          }
          all_reduce(sync, group, copies, AllReduceAlgorithm::ring, ReduceOp::mean);
          averaged.push_back(std::move(copies));
          owners.push_back(std::move(params));
        }
      }
    }
    sync.run();
    for (std::size_t i = 0; i < averaged.size(); ++i) {
      for (std::size_t d = 0; d < replicas.size(); ++d) owners[i][d].impl()->grad = Variable(averaged[i][d]);
    }
    for (Replica& rep : replicas) {
      for (auto& o : rep.sgd) o->step();
    }
  }
  const Replica& first = replicas[0];
  out.weights.embedding = first.embedding->weights();
  out.weights.head = first.head->weights();
  for (int l = 0; l < layers; ++l) {
    if (!first.attention.empty()) out.weights.attention.push_back(first.attention[static_cast<std::size_t>(l)]->weights());
    out.weights.mlp.push_back(first.mlp[static_cast<std::size_t>(l)]->weights());
  }
  return out;
}

}  // namespace gb::parallel
