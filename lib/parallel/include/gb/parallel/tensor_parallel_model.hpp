// tensor_parallel_model.hpp: running tensor-parallel blocks on the simulated cluster and measuring
// them (lesson 13), and training a small transformer-style model with them against one device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/parallel/tensor_parallel_vocab.hpp"

namespace gb::parallel {

// ---- one block, forward and backward, measured --------------------------------------------------------
struct TpBlockRun {
  Tensor output, grad_input;          // rank 0's Z and dX (every rank holds the same; checked by the tests)
  std::vector<Tensor> outputs, grad_inputs;  // every rank's copy
  Execution execution;
  std::vector<std::string> task_names;  // by task id, for the timeline
  std::vector<TpCollective> collectives;
  std::vector<double> compute_seconds;      // per rank: busy time of its forward and backward tasks
  std::vector<double> communication_seconds;  // per rank: busy time of its communication stream
  std::vector<std::int64_t> bytes_sent;       // per rank, over every collective
  std::vector<std::int64_t> parameter_bytes;  // per rank: the measured peak of parameter memory
};
// The block's forward on x [tokens, h] (a copy on each of the first t devices of the cluster), then its
// backward from grad_output, in one simulated execution. Throws gb::Error when the cluster is smaller
// than the block's t or the shapes differ.
TpBlockRun run_tp_block(TpBlock& block, const Tensor& x, const Tensor& grad_output, ClusterSpec cluster = {});
// The same tasks without values (a block made from shapes): times and bytes for models too big to hold.
TpBlockRun time_tp_block(TpBlock& block, std::int64_t tokens, std::int64_t hidden, ClusterSpec cluster = {});

// ---- a small transformer-style model ------------------------------------------------------------------
// ids -> vocabulary-parallel embedding -> layers x (x + attention(x), then x + MLP(x)) -> column-parallel
// output layer -> vocabulary-parallel cross-entropy. No layer norms (they are replicated, not split).
struct TpModelSpec {
  std::int64_t vocab = 16, hidden = 8, heads = 4, ffn = 32, layers = 2, batch = 2, seq = 4;
  bool attention = true;  // false: MLP blocks only
};
struct TpModelWeights {
  Tensor embedding;                       // [V, h]
  std::vector<AttentionWeights> attention;  // one per layer (empty without attention)
  std::vector<MlpWeights> mlp;            // one per layer
  Tensor head;                            // [h, V]
};
// Normal weights (std 0.3 for matrices, 0.1 for biases) from Rng(seed). Throws gb::Error for sizes < 1.
TpModelWeights init_tp_model(const TpModelSpec& spec, std::uint64_t seed);

struct TpTraining {
  std::vector<double> losses;      // before each step
  TpModelWeights weights;          // after the last step (shards put back together)
  TpModelWeights gradients;        // of the last step
  Execution last_step;             // tensor parallel only
  std::vector<TpCollective> collectives;  // of the last step
};
// `steps` steps of plain SGD (lr) on ids, labels (i64 [batch x seq]) on one device with lib/autodiff:
// the reference.
TpTraining train_single_device(const TpModelSpec& spec, const TpModelWeights& init, const Tensor& ids, const Tensor& labels,
                               int steps, double lr);
// The same on a TP group of t devices: every step's forward, backward and SGD update are tasks on a
// fresh simulator. Throws gb::Error when t does not divide the vocabulary, the heads or the MLP width.
TpTraining train_tensor_parallel(const TpModelSpec& spec, const TpModelWeights& init, const Tensor& ids, const Tensor& labels,
                                 int t, int steps, double lr, ClusterSpec cluster = {});

}  // namespace gb::parallel
