// strategy.hpp: choosing how to parallelise each layer by a cost model (lesson 15), as MindSpore's
// auto-parallel does with its dynamic-programming search.
//
// The model is a chain of matmul layers Y[B, out] = X[B, in] W[in, out] (an MLP stack without biases)
// on N devices (device matrix [N]). Each layer picks one strategy; its layouts (layout.hpp) are
//     strategy         X            W           Y             its own collective
//     data parallel    S(0)         R           S(0)          all-reduce of dW in backward (in x out)
//     column           R            S(1)        S(1)          all-reduce of dX in backward (B x in), Megatron's f
//     row              S(1)         S(0)        P (partial)   none (the sum happens in the redistribution)
//     replicate        R            R           R             none, but every device does all the work
// The cost of a layer: 6 B in out flops (forward 2, backward 4) over the devices that share the work,
// plus its own collective, timed on the simulator. Between two layers, the producer's Y layout must be
// redistributed into the consumer's X layout (redistribute.hpp): forward the plan Y -> X, backward the
// plan from X's gradient (in X's layout) to the gradient Y wants (Y's layout, partial read as
// replicated: the backward of a sum is a copy). The model's input arrives replicated (forward only) and
// its output is redistributed to S(0), so the loss is computed per sample as in data parallelism
// (to R when the batch does not divide by the devices).
// Compute and communication add up (no overlap): a serial cost model, as in MindSpore's.
// Memory per device: parameters, gradients and optimizer states of the local weight shard, plus the
// saved local X of every layer (all alive at the end of the forward pass).
//
// The search: step time adds over the chain, and so does memory; the limit makes it a constrained
// shortest path. A dynamic program walks the layers keeping, for each strategy of the current layer,
// the Pareto front of (seconds, bytes) over the partial chains ending in it, so it returns the true
// optimum under the limit (checked against brute force over every combination).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/parallel/layout.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

enum class LayerStrategy { data_parallel, column, row, replicate };
const char* layer_strategy_name(LayerStrategy s);            // "data parallel", "column", "row", "replicate"
LayerStrategy layer_strategy_from_name(const std::string& name);  // throws gb::Error for an unknown name

struct MatMulLayer {
  std::int64_t in_features = 0, out_features = 0;
};

struct StrategyProblem {
  std::int64_t batch = 0;
  std::vector<MatMulLayer> layers;     // a chain: layers[i].out_features == layers[i + 1].in_features
  int devices = 8;
  ClusterSpec cluster;                 // compute speed and links (devices is overridden)
  std::int64_t memory_limit = 0;       // bytes per device; 0: no limit
  std::int64_t element_bytes = 4;      // fp32 weights, gradients and activations
  std::int64_t optimizer_bytes = 8;    // per parameter: Adam's two moments in fp32
  std::vector<LayerStrategy> candidates{LayerStrategy::data_parallel, LayerStrategy::column, LayerStrategy::row,
                                        LayerStrategy::replicate};
};

// An MLP stack: widths [w0, w1, ..., wL] gives L layers of w_i x w_{i+1}.
std::vector<MatMulLayer> mlp_chain(const std::vector<std::int64_t>& widths);

// The layouts of X (input) and Y (output) of layer `layer` under strategy s; device matrix [devices].
Layout input_layout(const StrategyProblem& p, int layer, LayerStrategy s);
Layout output_layout(const StrategyProblem& p, int layer, LayerStrategy s);
// False when a split dim does not divide by the devices (the strategy is not a candidate then).
bool strategy_fits(const StrategyProblem& p, int layer, LayerStrategy s);

struct LayerCost {
  double compute_seconds = 0;     // 6 B in out / (devices sharing) / flops per second
  double collective_seconds = 0;  // its own all-reduce (data parallel, column), simulated
  std::int64_t model_state_bytes = 0;  // parameters + gradients + optimizer states of the local shard
  std::int64_t activation_bytes = 0;   // the saved local X
  double seconds() const { return compute_seconds + collective_seconds; }
  std::int64_t memory_bytes() const { return model_state_bytes + activation_bytes; }
};
LayerCost layer_cost(const StrategyProblem& p, int layer, LayerStrategy s);

// Forward plus backward redistribution seconds between a produced Y layout and a wanted X layout.
double redistribution_seconds(const StrategyProblem& p, const Layout& produced, const Layout& wanted);

// One cell of the search's table: the best partial chain ending in (layer, strategy).
struct StrategyCell {
  int layer = 0;
  LayerStrategy strategy = LayerStrategy::data_parallel;
  bool feasible = false;        // fits the strategy and the memory limit
  LayerCost cost;
  double edge_seconds = 0;      // redistribution into this layer along the best chain
  double best_seconds = 0;      // the cheapest partial chain ending here (within the limit)
  std::int64_t best_bytes = 0;  // its memory
  int previous = -1;            // its predecessor's strategy (index into candidates), -1 for layer 0
  int front_size = 0;           // Pareto-optimal partial chains kept here
};

struct StrategyChoice {
  std::vector<LayerStrategy> strategies;  // one per layer
  double seconds = 0;                     // the step time under the cost model
  std::int64_t memory_bytes = 0;          // per device
  std::vector<StrategyCell> table;        // search_strategy only: layer by layer, candidates in order
};

// The total seconds and memory of a given assignment (throws gb::Error for a wrong length or a
// strategy that does not fit; the memory limit is not checked here).
StrategyChoice evaluate_strategy(const StrategyProblem& p, const std::vector<LayerStrategy>& strategies);
// The dynamic program. Throws gb::Error for a bad problem or when nothing fits the memory limit.
StrategyChoice search_strategy(const StrategyProblem& p);
// Every combination, for tests and the lesson (candidates^layers evaluations; at most 2^20).
StrategyChoice brute_force_strategy(const StrategyProblem& p);

}  // namespace gb::parallel
