// hybrid.hpp: one training step of a GPT-style model on a DP x TP x PP mesh (lesson 15, "3D
// parallelism"), simulated with costs only: the model is described by numbers, no tensor exists.
//
// The mesh (mesh.hpp) puts tensor parallelism inside a node, pipeline stages across nodes and data
// parallelism over the rest (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on
// GPU Clusters Using Megatron-LM"). On every device of pipeline stage s the step is:
//   - the stage's L / pp transformer layers, for each of the m micro-batches, in 1F1B order
//     (pipeline.hpp's one_f_one_b_order). A layer's forward is 24 b s h^2 + 4 b s^2 h flops
//     (Narayanan et al., eq. 3: the attention block 8 b s h^2 + 4 b s^2 h, the MLP 16 b s h^2), its
//     backward twice that; tensor parallelism divides both by t;
//   - Megatron's tensor parallelism (Shoeybi et al. 2019): after the attention block and after the MLP
//     the t partial outputs are all-reduced (b s h values, operator g), and in the backward the two
//     input gradients are (operator f): 4 ring all-reduces per layer and micro-batch, each sending
//     2 (t - 1) / t x b s h x bytes_per_value bytes per rank;
//   - between stages one b s h activation per micro-batch forward, its gradient backward (each TP rank
//     sends the full activation to its counterpart: no scatter/gather optimisation);
//   - at the end the gradients of the device's shard (the stage's parameters / t) all-reduced over its
//     DP group, or with ZeRO-1 reduce-scattered, the optimizer stepping its 1/dp shard, and the new
//     weights all-gathered (the same volume). ZeRO-2/3 are refused with pipelines: the micro-batches
//     accumulate gradients stage by stage, so sharded gradients would be reduce-scattered after every
//     micro-batch (m times the traffic), and ZeRO-3 would all-gather every layer's weights for every
//     micro-batch: DeepSpeed and Megatron allow only ZeRO-1 with PP.
// Memory per device, by kind (mixed precision as in zero.hpp): bytes_per_value per parameter and per
// gradient, K = 12 bytes of optimizer state (sharded by dp with ZeRO-1), and the activations of each
// micro-batch from its forward's start to its backward's end: s b h (10 + 24 / t + 5 a s / (h t)) bytes
// per layer (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models",
// TP without sequence parallelism; fp16 values; t = 1 gives their 34 + 5 a s / h), so 1F1B's stage r
// holds min(pp - r, m) micro-batches at its peak. The tied word embedding (V h) sits on the first stage
// and, as in Megatron, a copy on the last one for the logits (2 b s h V flops forward); the embedding
// lookup, the logits' activations and the copies' gradient sync are not costed.
// Every number reported is measured from the simulated Execution: memory peaks from its Memory, times
// from busy intervals, bytes from the issued messages.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/parallel/mesh.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

// ---- the model, by numbers ------------------------------------------------------------------------------
struct GptModel {
  std::string name = "custom";
  int layers = 12;
  std::int64_t hidden = 768;   // h
  int heads = 12;              // a
  std::int64_t sequence = 1024;  // s
  std::int64_t vocab = 50257;  // V; 0: no embedding
  // 12 L h^2 + V h: per layer 4 h^2 of attention (Q, K, V, output) and 8 h^2 of MLP (h -> 4h -> h),
  // plus the tied embedding; biases, layer norms and position embeddings (~13 L h + s h) are left out.
  std::int64_t parameters() const;
};

// "gpt-small" (GPT-2 small: L 12, h 768, a 12, s 1024: 123.5 M), "gpt-1.3b" (GPT-3 XL: L 24, h 2048,
// a 16, s 2048: 1.31 B), "gpt-6.7b" (GPT-3 6.7B: L 32, h 4096, a 32: 6.65 B), "gpt-13b" (GPT-3 13B:
// L 40, h 5120, a 40: 12.85 B); V = 50257 for all. Throws gb::Error for another name.
GptModel gpt_preset(const std::string& name);
std::vector<std::string> gpt_preset_names();

// The formulas above, per micro-batch of b sequences, one layer, on one of t tensor-parallel ranks.
double layer_forward_flops(const GptModel& model, std::int64_t microbatch_size, int tp);
std::int64_t layer_activation_bytes(const GptModel& model, std::int64_t microbatch_size, int tp, int bytes_per_value = 2);

// ---- one step ------------------------------------------------------------------------------------------
struct HybridConfig {
  GptModel model;
  int dp = 1, tp = 1, pp = 1;
  int zero = 0;                      // 0 (plain DP) or 1 (optimizer states sharded over dp)
  int microbatches = 8;              // m, per DP replica and step
  std::int64_t microbatch_size = 1;  // b, sequences per micro-batch
  int bytes_per_value = 2;           // fp16 weights, gradients, activations and messages
  int optimizer_bytes = 12;          // K: fp32 master weights, momentum and variance
  // The machine: devices must equal dp x tp x pp. memory_bytes is the capacity the step is checked
  // against (0: unlimited); the simulation itself never stops on memory, it reports (see fits).
  ClusterSpec cluster{.devices = 1};
};

// What each task of the step is, for the breakdown and the trace's categories.
enum class Traffic { compute, tensor_parallel, pipeline_parallel, data_parallel, setup };
const char* traffic_name(Traffic traffic);  // "compute", "TP", "PP", "DP", "setup"

struct DeviceStep {
  int device = 0;
  MeshCoord coord;
  std::int64_t parameters = 0;                      // the parameters this device holds (its shard)
  std::array<std::int64_t, kMemoryKinds> peak_by_kind{};  // measured, by MemoryKind
  std::int64_t peak = 0;                            // measured: the peak of the total
  // Seconds: busy intervals of the device's tasks of each kind (communication may overlap compute);
  // idle = step - compute: the pipeline bubble and the waits for communication.
  double compute = 0, tp_comm = 0, pp_comm = 0, dp_comm = 0, idle = 0;
  std::int64_t tp_bytes = 0, pp_bytes = 0, dp_bytes = 0;  // sent by this device, from the issued messages
};

struct HybridStep {
  HybridConfig config;
  std::int64_t total_parameters = 0;
  Execution execution;
  std::vector<Task> tasks;         // the simulator's tasks, by id (for traces)
  std::vector<Traffic> traffic;    // per task
  std::vector<DeviceStep> devices;  // by device id
  double step_seconds = 0;         // the makespan
  double bubble = 0;               // sum of idle / (devices x step)
  bool fits = true;                // every device's peak within the capacity
  std::vector<int> over_capacity;  // the devices whose peak exceeds it
};

// The largest mesh a step accepts (callers multiply dp tp pp in 64 bits and check it first).
inline constexpr std::int64_t kMaxDevices = 1 << 20;

// Throws gb::Error for a bad configuration: dp x tp x pp above kMaxDevices or != cluster.devices, tp not dividing the heads
// or the hidden size, pp not dividing the layers, zero outside 0..1 (ZeRO-2/3 with pp > 1: why, above),
// non-positive sizes, or a step of more than 4 million tasks (shrink m or the mesh).
HybridStep simulate_hybrid_step(const HybridConfig& config);

}  // namespace gb::parallel
